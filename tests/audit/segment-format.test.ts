import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { makeKeys, readLinesOf, removeTempDirs, segmentFiles, tempDir, writeLog } from './audit-fixtures.js';
import { chainBefore, checkpointMessage, closeMessage, headerHash, type Line, lineHash } from './segment-spec.js';

afterEach(removeTempDirs);

describe('segment format (checked against an independent implementation of its documentation)', () => {
  it('every line hash, checkpoint and close signature follows the documented rules', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await writeLog(dir, keys, 12, { flushEvery: 4 });
    const [segment] = await segmentFiles(dir);
    const lines = await readLinesOf(segment ?? '');
    const header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(Object.keys(header)).toEqual([
      'format',
      'type',
      'instance',
      'created',
      'run',
      'segment',
      'firstSeq',
      'auditorPublicKey',
      'segmentPublicKey',
      'signingPublicKey',
      'prevSegment',
      'prevHash',
    ]);
    expect(header.format).toBe('secure-atm-audit/1');
    expect(header.instance).toBe('main');
    expect(header.auditorPublicKey).toBe(Buffer.from(keys.auditorPublicKey).toString('base64'));
    expect(header.signingPublicKey).toBe(Buffer.from(keys.signingSecretKey.subarray(32)).toString('base64'));
    expect(header.prevHash).toBeNull();

    let head = headerHash(lines[0] ?? '');
    const types: string[] = [];
    for (let k = 1; k < lines.length; k++) {
      const line = JSON.parse(lines[k] ?? '') as Line;
      types.push(line.type);
      expect(line.i).toBe(k);
      if (line.type !== 'record') {
        const message =
          line.type === 'checkpoint'
            ? checkpointMessage(head, line.i, line.seq)
            : closeMessage(head, line.i, line.seq, Number(line.records));
        const signature = Buffer.from(String(line.sig), 'base64');
        expect(nacl.sign.detached.verify(message, signature, keys.signingSecretKey.subarray(32))).toBe(true);
      }
      head = lineHash(head, line);
      expect(line.hash).toBe(head.toString('base64'));
    }
    expect(types.filter((t) => t === 'record')).toHaveLength(12);
    expect(types.filter((t) => t === 'checkpoint')).toHaveLength(3);
    expect(types.at(-1)).toBe('close');
    expect(chainBefore(lines, lines.length).toString('base64')).toBe(head.toString('base64'));
  });

  it('records open with nacl.box.open(auditor secret, segment public key) and hold the event', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    await writeLog(dir, keys, 3);
    const lines = await readLinesOf((await segmentFiles(dir))[0] ?? '');
    const header = JSON.parse(lines[0] ?? '') as { segmentPublicKey: string };
    const record = JSON.parse(lines[2] ?? '') as { seq: number; nonce: string; box: string };
    const opened = nacl.box.open(
      Buffer.from(record.box, 'base64'),
      Buffer.from(record.nonce, 'base64'),
      Buffer.from(header.segmentPublicKey, 'base64'),
      keys.auditorSecretKey,
    );
    expect(opened).not.toBeNull();
    const event = JSON.parse(Buffer.from(opened ?? []).toString('utf8')) as { seq: number };
    expect(event.seq).toBe(record.seq);
    // The nonces differ per record.
    const nonces = lines
      .slice(1)
      .map((l) => (JSON.parse(l) as { nonce?: string }).nonce)
      .filter(Boolean);
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});
