import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuditError, isErrno } from '../errors.js';
import { listSegmentFiles } from '../segment/segment-files.js';
import { CHAIN_INSTANCE_PATTERN, DEFAULT_CHAIN_INSTANCE, parseHeaderLine } from '../segment/segment-format.js';

/** A header line is far shorter than this (four base64 keys, a hash, names and numbers). */
const HEADER_PEEK_BYTES = 8 * 1024;

/**
 * Turn command-line arguments into segment files: a file stays as is; a folder becomes its
 * `*.enc` files in name order, where a data dir means `<dir>/audit` and an audit dir (one
 * holding `segments/` or `instances/`) means main's `segments/` and then every other
 * instance's `instances/<id>/segments/`, id by id. `complete` is true when one folder stood
 * for the whole log.
 */
export async function expandSegmentArgs(args: string[]): Promise<{ paths: string[]; complete: boolean }> {
  const paths: string[] = [];
  let folders = 0;
  for (const arg of args) {
    const kind = await kindOf(arg);
    if (kind === 'missing') throw new AuditError('AUDIT_SEGMENT_NOT_FOUND', `not found: ${arg}`);
    if (kind === 'file') {
      paths.push(arg);
      continue;
    }
    folders++;
    const auditDir = await auditDirOf(arg);
    const found: string[] = [];
    if (auditDir === null) {
      found.push(...(await listSegmentFiles(arg)));
    } else {
      found.push(...(await listSegmentFiles(join(auditDir, 'segments'))));
      // Other instances' chains live under audit/instances/<id>/segments (DESIGN.md).
      const instancesDir = join(auditDir, 'instances');
      if ((await kindOf(instancesDir)) === 'dir') {
        for (const id of (await readdir(instancesDir)).sort()) {
          found.push(...(await listSegmentFiles(join(instancesDir, id, 'segments'))));
        }
      }
    }
    if (found.length === 0) {
      const where = auditDir === null ? arg : join(auditDir, 'segments');
      throw new AuditError('AUDIT_SEGMENT_NOT_FOUND', `no segment files (*.enc) in ${where}`);
    }
    paths.push(...found);
  }
  return { paths, complete: folders === 1 && args.length === 1 };
}

/** `<dir>/audit` for a data dir, `<dir>` for an audit dir, null for a folder of segments. */
async function auditDirOf(dir: string): Promise<string | null> {
  const audit = join(dir, 'audit');
  if ((await kindOf(audit)) === 'dir') return audit;
  for (const sub of ['segments', 'instances']) if ((await kindOf(join(dir, sub))) === 'dir') return dir;
  return null;
}

/**
 * The instance whose chain a segment's folder holds (DESIGN.md "Ledger backends and
 * instances"): `…/audit/instances/<id>/segments/x.enc` is instance `<id>`,
 * `…/audit/segments/x.enc` is `main`; any other place says nothing (null).
 */
export function folderInstanceOf(path: string): string | null {
  const segmentsDir = dirname(path);
  if (basename(segmentsDir) !== 'segments') return null;
  const parent = dirname(segmentsDir);
  if (basename(dirname(parent)) === 'instances') return basename(parent);
  if (basename(parent) === 'audit') return DEFAULT_CHAIN_INSTANCE;
  return null;
}

/**
 * The chain a segment is verified in: the one its folder holds, else (a segment copied out of
 * the data dir) the instance its header names, `main` when it names none or is unreadable
 * (the verifier then reports why). Checking the header against the folder is the verifier's job.
 */
export async function instanceOfSegment(path: string): Promise<string> {
  const fromFolder = folderInstanceOf(path);
  if (fromFolder !== null) return fromFolder;
  let text = '';
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEADER_PEEK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    text = buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
  const newline = text.indexOf('\n');
  const parsed = parseHeaderLine(newline < 0 ? text : text.slice(0, newline));
  return 'error' in parsed ? DEFAULT_CHAIN_INSTANCE : parsed.header.instance;
}

/**
 * The folder holding the segments for a data dir, an audit dir or a segments dir; with an
 * `instance` other than main, that instance's `instances/<id>/segments` in the data or audit dir.
 */
export async function segmentsDirOf(dir: string, instance: string = DEFAULT_CHAIN_INSTANCE): Promise<string> {
  if (instance !== DEFAULT_CHAIN_INSTANCE) {
    if (!CHAIN_INSTANCE_PATTERN.test(instance)) throw new AuditError('AUDIT_USAGE', `not an instance id: ${instance}`);
    const auditDir = (await auditDirOf(dir)) ?? dir;
    const segments = join(auditDir, 'instances', instance, 'segments');
    if ((await kindOf(segments)) !== 'dir') {
      throw new AuditError('AUDIT_SEGMENT_NOT_FOUND', `no audit chain of instance ${instance} in ${dir} (${segments})`);
    }
    return segments;
  }
  for (const candidate of [join(dir, 'audit', 'segments'), join(dir, 'segments')]) {
    if ((await kindOf(candidate)) === 'dir') return candidate;
  }
  return dir;
}

async function kindOf(path: string): Promise<'file' | 'dir' | 'missing'> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? 'dir' : 'file';
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return 'missing';
    throw err;
  }
}
