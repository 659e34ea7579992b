/**
 * What the sans-IO engines (client-handshake.ts, server-session-engine.ts) hand back to
 * their drivers. An engine never touches a socket, timer or file: it takes bytes and events
 * and returns these actions, which the driver carries out in order.
 */

/**
 * Write these bytes. `bytes` is the whole frame (`u32be(N) || payload`) for drivers that
 * write raw streams; `payload` is the same frame's body for drivers with their own framing.
 * Both are valid until the driver's next call into the engine.
 */
export interface SendAction {
  type: 'send';
  bytes: Buffer;
  payload: Buffer;
}

/**
 * Close the connection: `end` flushes what was sent first (an error frame, a notice, the
 * answer to logout), `destroy` drops it at once (a broken channel is never answered).
 */
export interface CloseAction {
  type: 'close';
  mode: 'end' | 'destroy';
}

/** The audit kinds an engine reports; the driver adds who, where and when. */
export type EngineAuditKind =
  | 'protocol_error'
  | 'handshake_timeout'
  | 'sequence_error'
  | 'integrity_failure'
  | 'session_notice'
  | 'session_close'
  | 'terminal_refused';

export interface AuditAction {
  type: 'audit';
  /** `actor` only where the engine knows better than the driver (the user a hello named). */
  event: { kind: EngineAuditKind; actor?: string; code?: string; detail?: Record<string, unknown> };
}

/** The transition table's check: a move the table does not list is a bug in the engine. */
export function checkedMove<S extends string>(table: Readonly<Record<S, readonly S[]>>, from: S, to: S): S {
  if (!table[from].includes(to)) throw new Error(`engine bug: no transition ${from} → ${to}`);
  return to;
}

/** The audit kind of a broken sealed channel (§6): the cause, by its error code. */
export function brokenChannelKind(code: string): EngineAuditKind {
  if (code === 'SEQUENCE_ERROR') return 'sequence_error';
  return code === 'INTEGRITY_FAILURE' ? 'integrity_failure' : 'protocol_error';
}
