/** The throwaway PostgreSQL cluster the suites start (one per test file): server/dev/throwaway-postgres.ts. */
export {
  PG_BIN_DIR,
  type PostgresCluster,
  postgresAvailable,
  startPostgresCluster,
} from '../../server/dev/throwaway-postgres.js';
