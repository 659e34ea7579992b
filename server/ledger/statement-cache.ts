/** Prepared statements made once per database connection, for the ledger modules that keep their own SQL. */
import type Database from 'better-sqlite3';

/** `prepare` runs once per connection; the statements live as long as it does. */
export function statementsPerDatabase<S>(
  prepare: (db: Database.Database) => S,
): (store: { readonly database: Database.Database }) => S {
  const cache = new WeakMap<Database.Database, S>();
  return (store) => {
    const db = store.database;
    let s = cache.get(db);
    if (!s) {
      s = prepare(db);
      cache.set(db, s);
    }
    return s;
  };
}
