/**
 * First-start preparation of the server's data dir (DESIGN.md layout).
 * @packageDocumentation
 */

/** mkdir the data dir and its subdirectories (0700), then the dev certificates and the data key. */
export { type PreparedDataDir, prepareDataDir } from './prepare-data-dir.js';
