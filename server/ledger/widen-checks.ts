import type { Database } from 'better-sqlite3';

export interface CheckChange {
  table: string;
  /** The constraint exactly as the table's CREATE statement spells it. */
  from: string;
  to: string;
}

/**
 * Replace CHECK constraints in place, through SQLite's documented writable_schema procedure for
 * changes that leave the stored rows valid (sqlite.org/lang_altertable.html, "other kinds of
 * table schema changes"). A rebuild would be the general answer, but it drops and recreates a
 * table that others reference and would lose columns other migrations added. Each new constraint
 * must accept every existing row; that is checked before the transaction ends, so a wrong change
 * rolls back. Run it inside the migration's transaction.
 */
export function widenTableChecks(db: Database, changes: readonly CheckChange[]): void {
  const tables = new Set(changes.map((c) => c.table));
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    for (const table of tables) {
      const row = db
        .prepare<[string], { sql: string }>(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`)
        .get(table);
      if (!row) throw new Error(`migration: no table ${table}`);
      let sql = row.sql;
      for (const change of changes.filter((c) => c.table === table)) {
        if (!sql.includes(change.from)) throw new Error(`migration: ${table} has no constraint ${change.from}`);
        sql = sql.replace(change.from, change.to);
      }
      db.prepare(`UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?`).run(sql, table);
    }
    db.pragma(`schema_version = ${version + 1}`);
    db.pragma('writable_schema = OFF');
  } finally {
    db.unsafeMode(false);
  }
  const problems = db.pragma('integrity_check', { simple: true });
  if (problems !== 'ok') throw new Error(`migration: integrity check after widening constraints: ${String(problems)}`);
}
