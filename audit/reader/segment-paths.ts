import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuditError, isErrno } from '../errors.js';
import { listSegmentFiles } from '../segment/segment-files.js';

/**
 * Turn command-line arguments into segment files: a file stays as is; a folder becomes its
 * `*.enc` files in name order, where a data dir means `<dir>/audit/segments` and an audit
 * dir means `<dir>/segments`. `complete` is true when one folder stood for the whole log.
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
    const dir = await segmentsDirOf(arg);
    const found = await listSegmentFiles(dir);
    // Other instances' chains live under audit/instances/<id>/segments.
    const instancesDir = join(dirname(dir), 'instances');
    if ((await kindOf(instancesDir)) === 'dir') {
      for (const id of (await readdir(instancesDir)).sort()) {
        found.push(...(await listSegmentFiles(join(instancesDir, id, 'segments'))));
      }
    }
    if (found.length === 0) throw new AuditError('AUDIT_SEGMENT_NOT_FOUND', `no segment files (*.enc) in ${dir}`);
    paths.push(...found);
  }
  return { paths, complete: folders === 1 && args.length === 1 };
}

/**
 * The instance whose chain a segment belongs to: `…/instances/<id>/segments/x.enc` is
 * instance `<id>`, anything else is `main` (DESIGN.md "Ledger backends and instances").
 */
export function instanceOfSegment(path: string): string {
  const segmentsDir = dirname(path);
  const instanceDir = dirname(segmentsDir);
  if (basename(segmentsDir) === 'segments' && basename(dirname(instanceDir)) === 'instances') {
    return basename(instanceDir);
  }
  return 'main';
}

/** The folder holding the segments for a data dir, an audit dir or a segments dir. */
export async function segmentsDirOf(dir: string): Promise<string> {
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
