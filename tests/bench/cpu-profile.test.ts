import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeCpuProfile } from '../../atm-client/bench/cpu-profile.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A profile of chains (outermost first), each sampled once for 1 ms. */
function profileOf(chains: Array<Array<[string, string]>>): string {
  const nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children: number[];
  }> = [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [] }];
  const samples: number[] = [];
  for (const chain of chains) {
    let parent = nodes[0] as (typeof nodes)[number];
    for (const [functionName, url] of chain) {
      const node = { id: nodes.length + 1, callFrame: { functionName, url, lineNumber: 1 }, children: [] };
      nodes.push(node);
      parent.children.push(node.id);
      parent = node;
    }
    samples.push(parent.id);
  }
  const dir = mkdtempSync(join(tmpdir(), 'secure-atm-profile-'));
  dirs.push(dir);
  const path = join(dir, 'CPU.cpuprofile');
  writeFileSync(path, JSON.stringify({ nodes, samples, timeDeltas: samples.map(() => 1000) }));
  return path;
}

describe('atm bench --profile: what the time was for', () => {
  it("a file's native write counts for whoever wrote the file; a socket's for socket writes", async () => {
    const path = profileOf([
      [
        ['appendSync', 'file:///r/dist/audit/writer/segment-file.js'],
        ['writeSync', 'node:fs'],
        ['writeBuffer', ''],
      ],
      [
        ['write', 'file:///r/dist/audit/writer/plaintext-log.js'],
        ['write', 'node:internal/fs/promises'],
        ['writeBuffer', ''],
      ],
      [
        ['act', 'file:///r/dist/server/session/connection.js'],
        ['Socket._write', 'node:net'],
        ['handleWriteReq', 'node:internal/stream_base_commons'],
        ['writeBuffer', ''],
      ],
    ]);
    const { byCategory } = await summarizeCpuProfile(path);
    const ms = Object.fromEntries(byCategory.map((line) => [line.name, line.ms]));
    expect(ms).toEqual({ 'audit writer (JSON, hash chain, files)': 2, 'socket writes (TLS encrypt + send)': 1 });
  });
});
