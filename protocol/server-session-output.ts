/** The actions one call into the server session engine hands back, collected in order. */

import { FRAME_HEADER_BYTES } from './constants.js';
import type { EngineAuditKind } from './engine-types.js';
import { encodeFrame } from './frame.js';
import type { ServerSessionAction } from './server-session-types.js';

export class SessionOutput {
  private actions: ServerSessionAction[] = [];
  /** Bytes of the send actions not handed to the driver yet (they count as queued output). */
  bytes = 0;

  push(action: ServerSessionAction): void {
    this.actions.push(action);
  }

  send(payload: Buffer): void {
    const bytes = encodeFrame(payload);
    this.bytes += bytes.length;
    this.actions.push({ type: 'send', bytes, payload });
  }

  /** A frame already framed (`u32be(N) || payload`, as `FrameSealer.sealFrame` builds it). */
  sendFrame(bytes: Buffer): void {
    this.bytes += bytes.length;
    // The body view is made only for a driver that asks for it: the socket driver writes `bytes`.
    this.actions.push({
      type: 'send',
      bytes,
      get payload() {
        return bytes.subarray(FRAME_HEADER_BYTES);
      },
    });
  }

  audit(kind: EngineAuditKind, code?: string, detail?: Record<string, unknown>, actor?: string): void {
    this.actions.push({
      type: 'audit',
      event: {
        kind,
        ...(actor === undefined ? {} : { actor }),
        ...(code === undefined ? {} : { code }),
        ...(detail === undefined ? {} : { detail }),
      },
    });
  }

  flush(): ServerSessionAction[] {
    const actions = this.actions;
    this.actions = [];
    this.bytes = 0;
    return actions;
  }
}
