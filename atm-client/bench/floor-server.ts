#!/usr/bin/env node
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import {
  type Request,
  type ServerSessionAction,
  ServerSessionEngine,
  type SessionAnswer,
} from '../../protocol/index.js';
import { benchTlsServer, programOption, serveUntilStopped } from './bench-tls-program.js';

/**
 * The protocol floor for `atm bench`: what a server of this protocol costs when it does no work
 * of its own. The same TLS and the real protocol engine (hello, X25519 + HKDF, sealed frames with
 * their HMAC and sequence numbers, JSON requests and answers) as the bank, but every login is
 * accepted, balances live in a Map, nothing is audited and there are no rules beyond "enough money".
 * With `--journal <file>`, each event-loop turn's mutations are appended to the file as one
 * write and made durable with one fdatasync before any of them is answered: the least a durable
 * server with group commit can do.
 *
 * The bench compares the bank with this (not only with the raw echo) to show how much of a
 * request's cost the protocol itself fixes, and how much the ledger and the audit add on top.
 *
 * Usage: node floor-server.js --cert <file> --key <file> [--journal <file>] [--host 127.0.0.1] [--port 0]
 * Prints one JSON line {"msg":"listening","port":N} when ready; SIGTERM/SIGINT or the end of its
 * stdin stop it.
 */

const balances = new Map<string, number>();
let txSeq = 0;
const journalPath = programOption('journal');
const journal = journalPath === undefined ? null : openSync(journalPath, 'a', 0o600);

/** Mutations answered once the journal write of this turn is durable. */
let waiting: Array<{ line: string; settle: () => void }> = [];

function flushJournal(): void {
  const batch = waiting;
  waiting = [];
  if (journal !== null && batch.length > 0) {
    writeSync(journal, batch.map((w) => w.line).join(''));
    fdatasyncSync(journal);
  }
  for (const w of batch) w.settle();
}

const BALANCE_EXTRAS = {
  currency: 'USD',
  dailyWithdrawalRemainingCents: 100_000_00,
  maxAmountCents: 1_000_000_00,
  twoFactor: false,
};

/** The answer from memory, and whether it changed a balance (then it is journalled first). */
function answerOf(user: string, request: Request): { answer: SessionAnswer; mutated: boolean } {
  const balance = balances.get(user) ?? 0;
  const moved = (after: number): { answer: SessionAnswer; mutated: boolean } => ({
    answer: { ok: true, result: { balanceCents: after, txId: `tx_${++txSeq}` } },
    mutated: true,
  });
  switch (request.op) {
    case 'balance':
      return { answer: { ok: true, result: { balanceCents: balance, ...BALANCE_EXTRAS } }, mutated: false };
    case 'deposit':
      balances.set(user, balance + request.amountCents);
      return moved(balance + request.amountCents);
    case 'withdraw':
    case 'transfer':
      if (balance < request.amountCents) {
        return { answer: { ok: false, code: 'INSUFFICIENT_FUNDS' }, mutated: false };
      }
      balances.set(user, balance - request.amountCents);
      if (request.op === 'transfer') balances.set(request.to, (balances.get(request.to) ?? 0) + request.amountCents);
      return moved(balance - request.amountCents);
    default:
      return { answer: { ok: false, code: 'INVALID_REQUEST' }, mutated: false };
  }
}

function serve(socket: TLSSocket): void {
  socket.setNoDelay(true);
  const engine = new ServerSessionEngine({ clock: performance, idleTimeoutSec: 3_600 });
  let user = '';
  const act = (actions: ServerSessionAction[]): void => {
    const corked = actions.length > 1;
    if (corked) socket.cork();
    for (const action of actions) {
      if (action.type === 'send') socket.write(action.bytes);
      else if (action.type === 'close') action.mode === 'end' ? socket.end() : socket.destroy();
      else if (action.type === 'checkCredentials') {
        user = action.hello.message.auth.user;
        act(engine.credentialsChecked({ ok: true, user }));
      } else if (action.type === 'dispatch') {
        const { answer, mutated } = answerOf(user, action.request);
        const settle = () => act(engine.dispatched(action.ticket, answer));
        if (!mutated || journal === null) settle();
        else {
          if (waiting.length === 0) setImmediate(flushJournal);
          waiting.push({ line: `${JSON.stringify({ user, ...action.request })}\n`, settle });
        }
      }
    }
    if (corked) socket.uncork();
  };
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => act(engine.receive(chunk)));
  socket.on('close', () => engine.closed());
}

const server = benchTlsServer('floor-server');
server.on('secureConnection', serve);
serveUntilStopped(server, () => {
  if (journal !== null) closeSync(journal);
});
