import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedInstance, openInstance } from '../../../server/setup/open-instance.js';
import { pgDatabaseFor } from './pg-fixtures.js';

const db = pgDatabaseFor('open_instance');
let scratch: string;
const open: OpenedInstance[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'open-instance-'));
});
afterEach(async () => {
  for (const opened of open.splice(0)) await opened.release();
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function start(dataDir: string, instanceId: string, ledgerUrl = db.url): Promise<OpenedInstance> {
  const opened = await openInstance({ dataDir: join(scratch, dataDir), instanceId, ledgerUrl });
  open.push(opened);
  return opened;
}

const entries = (dir: string) => readdir(join(scratch, dir)).catch(() => null);

describe('openInstance: the instance id held on the shared PostgreSQL ledger, then the data dir', () => {
  it('refuses an id another machine runs, before touching its own data dir', async () => {
    const first = await start('machine-a', 'east');
    expect(first.ledgerLock?.instanceId).toBe('east');
    await expect(start('machine-b', 'east')).rejects.toMatchObject({
      code: 'INSTANCE_ID_IN_USE',
      message: expect.stringContaining('"east"'),
    });
    expect(await entries('machine-b')).toBeNull();
    // Once the first is gone, the id is free again.
    await first.release();
    open.splice(open.indexOf(first), 1);
    const second = await start('machine-b', 'east');
    expect(second.instance.signingKeyFile).toBe('keys/instances/east/audit-signing.key');
  });

  it('lets different ids run at once, and a data dir that fails to open gives its id back', async () => {
    await start('machine-c', 'north');
    await start('machine-d', 'south');
    // The same data dir and id twice: the second is refused (by the ledger lock first) and holds nothing.
    await expect(start('machine-c', 'north')).rejects.toMatchObject({ code: 'INSTANCE_ID_IN_USE' });
    // An id whose data dir cannot be opened does not keep the id.
    const aFile = join(scratch, 'not-a-dir');
    await writeFile(aFile, 'x');
    await expect(openInstance({ dataDir: aFile, instanceId: 'west', ledgerUrl: db.url })).rejects.toMatchObject({
      code: 'DATA_DIR_NOT_A_DIRECTORY',
    });
    const west = await start('machine-e', 'west');
    expect(west.ledgerLock?.instanceId).toBe('west');
  });

  it('takes no database lock on SQLite', async () => {
    const opened = await start('machine-f', 'main', `sqlite:${join(scratch, 'machine-f.db')}`);
    expect(opened.ledgerLock).toBeNull();
  });
});
