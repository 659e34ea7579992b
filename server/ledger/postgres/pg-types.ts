import pg from 'pg';

/** BIGINT columns come back as JavaScript numbers: every amount is bounded to safe integers by CHECK. */
export const PG_TYPES = new pg.TypeOverrides();
PG_TYPES.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
