/**
 * First-start preparation of the server's data dir (DESIGN.md layout).
 * @packageDocumentation
 */

/** Where an instance keeps its audit chain and signing key (`main`: audit/ and keys/ as always). */
export {
  DEFAULT_INSTANCE_ID,
  INSTANCE_ID_PATTERN,
  type InstancePaths,
  instancePaths,
} from './instance-paths.js';
/** mkdir the data dir and its subdirectories (0700), then the dev certificates and the data key. */
export { type PreparedDataDir, prepareDataDir } from './prepare-data-dir.js';
