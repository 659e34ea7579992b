import { timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';
import { TOTP_CODE_PATTERN } from '../../protocol/index.js';
import type { PiiBox } from '../secrets/pii-box.js';

/** RFC 6238 defaults that every authenticator app understands. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const ALGORITHM = 'SHA1';
/** 160-bit secrets, as RFC 4226 recommends. */
const SECRET_BYTES = 20;
/** Steps either side of now that still count, for clock drift and typing time. */
const WINDOW_STEPS = 1;

/** `reason: 'USED'`: the code was right but its step was already used (protocol/README.md §7.7). */
export type TotpCheck = { ok: true; step: number } | { ok: false; reason?: 'USED' };

/** TOTP enrolment and checking. Secrets only ever leave here sealed with the data key. */
export class TotpService {
  private readonly box: PiiBox;
  private readonly issuer: string;
  private readonly clock: () => number;

  constructor(box: PiiBox, options: { issuer?: string; clock?: () => number } = {}) {
    this.box = box;
    this.issuer = options.issuer ?? 'secure-atm';
    this.clock = options.clock ?? Date.now;
  }

  /** New secret: base32 secret, otpauth:// URI, and the secret sealed with the data key. */
  enroll(user: string): { secret: string; otpauthUri: string; sealedSecret: string } {
    const secret = new Secret({ size: SECRET_BYTES });
    const totp = new TOTP({
      issuer: this.issuer,
      label: user,
      secret,
      algorithm: ALGORITHM,
      digits: DIGITS,
      period: PERIOD_SECONDS,
    });
    return { secret: secret.base32, otpauthUri: totp.toString(), sealedSecret: this.box.seal(secret.base32) };
  }

  /**
   * Checks a 6-digit code against a sealed secret within ±1 step. A step at or before `lastStep`
   * is refused, so a code that already logged in cannot log in again (replay). On success the
   * caller must store the returned step as the new last step.
   */
  verify(sealedSecret: string, code: string, lastStep: number | null): TotpCheck {
    if (!TOTP_CODE_PATTERN.test(code)) return { ok: false };
    const base32 = this.box.open(sealedSecret);
    if (base32 === null) return { ok: false };
    let secret: Secret;
    try {
      secret = Secret.fromBase32(base32);
    } catch {
      return { ok: false };
    }
    const now = Math.floor(this.clock() / 1000 / PERIOD_SECONDS);
    const given = Buffer.from(code, 'ascii');
    let match: number | null = null;
    let used = false;
    // Every step is computed and compared so the time taken does not say which one matched.
    for (let step = now - WINDOW_STEPS; step <= now + WINDOW_STEPS; step++) {
      const expected = Buffer.from(
        HOTP.generate({ secret, algorithm: ALGORITHM, digits: DIGITS, counter: step }),
        'ascii',
      );
      const equal = expected.length === given.length && timingSafeEqual(expected, given);
      if (equal && match === null && (lastStep === null || step > lastStep)) match = step;
      else if (equal) used = true;
    }
    if (match !== null) return { ok: true, step: match };
    return used ? { ok: false, reason: 'USED' } : { ok: false };
  }
}
