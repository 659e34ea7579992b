import { encodeFrame, SealedChannel } from '../../protocol/index.js';

/** The ops of the realistic mix and their shares (per 100 requests). */
export type MixOp = 'balance' | 'deposit' | 'withdraw' | 'transfer';
export const MIX: Readonly<Record<MixOp, number>> = { balance: 30, deposit: 25, withdraw: 25, transfer: 20 };

/** Amount of every money-moving request: deposits and withdrawals cancel out over a run. */
export const BENCH_AMOUNT_CENTS = 100;

/** A fixed, shuffled cycle of 100 ops with the mix's shares; each connection starts at its own offset. */
export function mixSchedule(seed = 0x5eed): MixOp[] {
  const ops: MixOp[] = [];
  for (const [op, share] of Object.entries(MIX) as Array<[MixOp, number]>) for (let i = 0; i < share; i++) ops.push(op);
  let s = seed >>> 0;
  for (let i = ops.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    const j = s % (i + 1);
    [ops[i], ops[j]] = [ops[j] as MixOp, ops[i] as MixOp];
  }
  return ops;
}

export function benchUser(index: number): string {
  return `bench${String(index).padStart(4, '0')}`;
}

/** The request a session sends for an op (its id is unique per session and request). */
export function requestFor(op: MixOp, id: string, transferTo: string): Record<string, unknown> {
  switch (op) {
    case 'balance':
      return { id, op };
    case 'transfer':
      return { id, op, to: transferTo, amountCents: BENCH_AMOUNT_CENTS };
    default:
      return { id, op, amountCents: BENCH_AMOUNT_CENTS };
  }
}

/** What the bank answers to each op on success (values of realistic width). */
function responseFor(op: MixOp, id: string): Record<string, unknown> {
  return op === 'balance'
    ? { id, ok: true, result: { balanceCents: 1_000_012_300, currency: 'USD' } }
    : { id, ok: true, result: { balanceCents: 1_000_012_300, txId: 'T000000123456' } };
}

export interface FrameSizes {
  /** Payload bytes of the sealed request and of the sealed response, per op. */
  request: Record<MixOp, number>;
  response: Record<MixOp, number>;
}

/**
 * Sealed frame sizes of the mix, measured by sealing representative messages with a real
 * channel (the raw baseline sends and receives exactly these sizes).
 */
export function sealedFrameSizes(): FrameSizes {
  const keys = {
    c2sEnc: Buffer.alloc(32, 1),
    c2sMac: Buffer.alloc(32, 2),
    s2cEnc: Buffer.alloc(32, 3),
    s2cMac: Buffer.alloc(32, 4),
  };
  const client = new SealedChannel('client', keys, Buffer.alloc(16));
  const server = new SealedChannel('server', keys, Buffer.alloc(16));
  const id = 's042-0000012345';
  const size = (channel: SealedChannel, message: unknown): number => {
    const sealed = channel.sealMessage(message);
    if (!sealed.ok) throw new Error(sealed.error.message);
    return sealed.value.length;
  };
  const request = {} as Record<MixOp, number>;
  const response = {} as Record<MixOp, number>;
  for (const op of Object.keys(MIX) as MixOp[]) {
    request[op] = size(client, requestFor(op, id, benchUser(9999)));
    response[op] = size(server, responseFor(op, id));
  }
  return { request, response };
}

/** The raw baseline's request frame for an op: a payload of the sealed request's size whose first 4 bytes ask for the response's size. */
export function rawRequestFrame(op: MixOp, sizes: FrameSizes): Buffer {
  const payload = Buffer.alloc(sizes.request[op], 0x62);
  payload.writeUInt32BE(sizes.response[op], 0);
  return encodeFrame(payload);
}
