import { describe, expect, it } from 'vitest';
import { startRevocationSweep, type TerminalSessionHandle } from '../../../server/terminals/index.js';

function session(id: string, fingerprint: string): TerminalSessionHandle & { ended: string[] } {
  const ended: string[] = [];
  return { terminalIdentity: { id, fingerprint }, endForTerminal: (reason) => ended.push(reason), ended };
}

describe('revocation sweep', () => {
  it('ends sessions of revoked, re-enrolled or vanished terminals and leaves the rest, reading each terminal once', () => {
    const records = new Map([
      ['ATM-OK', { status: 'active' as const, fingerprint: 'F1' }],
      ['ATM-REVOKED', { status: 'revoked' as const, fingerprint: 'F2' }],
      ['ATM-RE', { status: 'active' as const, fingerprint: 'NEW' }],
    ]);
    const lookups: string[] = [];
    const sessions = [
      session('ATM-OK', 'F1'),
      session('ATM-OK', 'F1'),
      session('ATM-REVOKED', 'F2'),
      session('ATM-RE', 'OLD'),
      session('ATM-GONE', 'F4'),
    ];
    const remote: TerminalSessionHandle = {
      terminalIdentity: null,
      endForTerminal: () => {
        throw new Error('a remote session has no terminal to revoke');
      },
    };
    const sweep = startRevocationSweep({
      sessions: () => [...sessions, remote],
      lookup: (id) => {
        lookups.push(id);
        return records.get(id) ?? null;
      },
      intervalMs: 60_000,
    });
    try {
      sweep.sweep();
    } finally {
      sweep.stop();
    }
    expect(sessions.map((s) => s.ended)).toEqual([
      [],
      [],
      ['this terminal was revoked'],
      ['this terminal was re-enrolled'],
      ['this terminal is no longer enrolled'],
    ]);
    expect(lookups).toEqual(['ATM-OK', 'ATM-REVOKED', 'ATM-RE', 'ATM-GONE']);
  });
});
