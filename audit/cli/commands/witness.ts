import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { fromB64 } from '../../../protocol/index.js';
import { signingKeyFingerprint } from '../../keys/fingerprint.js';
import {
  type AuditState,
  headGoesBack,
  readAuditState,
  type StateHead,
  writeAuditState,
} from '../../state/audit-state.js';
import { CliError, type CliIo, integerOption } from '../cli-io.js';
import { parseSignerArgs } from '../signer-args.js';

interface WitnessOptions {
  admin: string;
  state: string;
  interval: number;
  once?: boolean;
  signer: string[];
}

/** How long `--once` waits for a server that has not signed its first checkpoint yet. */
const FIRST_HEAD_WAIT_MS = 10_000;

/**
 * `bank-audit witness --admin <url> --state <file>`: keep the server's signed heads where
 * the server cannot take them back. Each poll of `GET /audit/head` that moves forward is
 * written to the state (atomically); a head that goes back is reported as ROLLED_BACK
 * (exit 1). `verify --state <file>` then requires the chain to still reach the last one.
 */
export function witnessCommand(io: CliIo): Command {
  return new Command('witness')
    .description(
      "poll a server's GET /audit/head and keep its signed heads in a state file (verify --state checks them); exit 1 if a head goes back",
    )
    .requiredOption('--admin <url>', "the server's admin HTTP, e.g. http://10.0.0.5:9464")
    .requiredOption('--state <file>', "the witness's state file (created if missing)")
    .option('--interval <sec>', 'seconds between polls', integerOption(1, 86_400), 10)
    .option('--once', 'poll once and exit')
    .option(
      '--signer <[instance=]key>',
      "pin the server's signing PUBLIC key (else the first head's signer is pinned, and printed)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .action(async (opts: WitnessOptions) => {
      const url = headUrl(opts.admin);
      const pinned = await parseSignerArgs(opts.signer);
      let state = await readAuditState(opts.state);
      for (;;) {
        const head = await fetchHead(url, opts.once ? FIRST_HEAD_WAIT_MS : 0, io.signal);
        if (head) state = await keep(io, opts.state, state, head, pinned);
        if (opts.once || io.signal?.aborted) return;
        try {
          await sleep(opts.interval * 1000, undefined, io.signal ? { signal: io.signal } : {});
        } catch {
          return; // Ctrl-C
        }
      }
    });
}

type ServedHead = StateHead & { instance: string };

async function keep(
  io: CliIo,
  file: string,
  state: AuditState,
  head: ServedHead,
  pinned: Map<string, string>,
): Promise<AuditState> {
  const { instance, ...kept } = head;
  const known = state.chains[instance];
  if (known?.head && headGoesBack(known.head, kept)) {
    throw new CliError(
      'AUDIT_ROLLED_BACK',
      `ROLLED_BACK: instance ${instance} now serves seq ${kept.seq} of ${kept.segment}, but seq ${known.head.seq} of ${known.head.segment} was seen before`,
      1,
    );
  }
  let signers = known?.signers ?? [];
  const pin = pinned.get(instance);
  if (pin && signers.length > 0 && !signers.includes(pin)) {
    throw new CliError('AUDIT_USAGE', `--signer is not the signer ${file} pins for instance ${instance}`, 3);
  }
  if (signers.length === 0) {
    signers = [pin ?? kept.signer];
    if (!pin) {
      io.err(
        `bank-audit: witness: pinned instance ${instance}'s signer on first sight: ${fingerprintOf(kept.signer)}; compare it with the fingerprint bank-server init printed`,
      );
    }
  }
  if (!signers.includes(kept.signer)) {
    io.err(
      `bank-audit: witness: instance ${instance}'s head is signed by ${fingerprintOf(kept.signer)}, not a pinned signer: verify must find a signed rotation to it`,
    );
  }
  const next: AuditState = { ...state, chains: { ...state.chains, [instance]: { signers, head: kept } } };
  if (JSON.stringify(next) !== JSON.stringify(state)) await writeAuditState(file, next);
  io.out(`${instance}: ${kept.segment} seq ${kept.seq} hash ${kept.hash} signed by ${fingerprintOf(kept.signer)}`);
  return next;
}

function fingerprintOf(b64: string): string {
  const key = fromB64(b64, 32);
  return key ? signingKeyFingerprint(key) : b64;
}

function headUrl(admin: string): string {
  let url: URL;
  try {
    url = new URL(admin);
  } catch {
    throw new CliError('AUDIT_USAGE', `--admin: not a URL: ${admin} (e.g. http://127.0.0.1:9464)`, 3);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError('AUDIT_USAGE', `--admin: expected an http(s) URL, got ${admin}`, 3);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/audit/head`;
  return url.href;
}

/** One head, or null while the server has none yet (503) once `waitMs` has passed. */
async function fetchHead(url: string, waitMs: number, signal?: AbortSignal): Promise<ServedHead | null> {
  const until = Date.now() + waitMs;
  for (;;) {
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new CliError('AUDIT_UNREACHABLE', `cannot reach ${url}: ${(err as Error).message}`, 3);
    }
    if (res.status === 503 && Date.now() < until && !signal?.aborted) {
      await res.body?.cancel();
      await sleep(250);
      continue;
    }
    if (res.status === 503) return null;
    if (!res.ok) throw new CliError('AUDIT_UNREACHABLE', `${url} answered HTTP ${res.status}`, 3);
    const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (!isServedHead(body)) throw new CliError('AUDIT_BAD_HEAD', `${url} did not answer with an audit head`, 1);
    const { instance, segment, seq, hash, signature, signer, at } = body;
    return { instance, segment, seq, hash, signature, signer, at };
  }
}

function isServedHead(b: Record<string, unknown> | null): b is ServedHead & Record<string, unknown> {
  return (
    b !== null &&
    typeof b.instance === 'string' &&
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(b.instance) &&
    typeof b.segment === 'string' &&
    typeof b.seq === 'number' &&
    Number.isSafeInteger(b.seq) &&
    fromB64(b.hash, 32) !== null &&
    fromB64(b.signature, 64) !== null &&
    fromB64(b.signer, 32) !== null &&
    typeof b.at === 'string'
  );
}
