import { HOTP, Secret, TOTP, URI } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { TotpService } from '../../../server/auth/index.js';
import { PiiBox } from '../../../server/secrets/pii-box.js';

const START = Date.UTC(2025, 0, 1, 12, 0, 0); // on a 30 s boundary
const STEP = Math.floor(START / 30_000);

function setup() {
  let now = START;
  const box = new PiiBox(PiiBox.generateKey());
  const service = new TotpService(box, { clock: () => now });
  return { box, service, setNow: (t: number) => (now = t) };
}

/** Codes from an independent implementation: otpauth's TOTP built from the URI we handed out. */
function codeAt(secretBase32: string, timestamp: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secretBase32), timestamp });
}

describe('TotpService.enroll', () => {
  it('returns a base32 secret, a matching otpauth URI and the secret sealed with the data key', () => {
    const { box, service } = setup();
    const { secret, otpauthUri, sealedSecret } = service.enroll('alice');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const parsed = URI.parse(otpauthUri);
    expect(parsed).toBeInstanceOf(TOTP);
    expect(parsed.secret.base32).toBe(secret);
    expect(parsed.issuer).toBe('secure-atm');
    expect(parsed.label).toBe('alice');
    expect(otpauthUri.startsWith('otpauth://totp/')).toBe(true);
    expect(sealedSecret).not.toContain(secret);
    expect(box.open(sealedSecret)).toBe(secret);
  });

  it('makes a fresh secret each time and honours a custom issuer', () => {
    const box = new PiiBox(PiiBox.generateKey());
    const service = new TotpService(box, { issuer: 'Test Bank' });
    const a = service.enroll('bob');
    const b = service.enroll('bob');
    expect(a.secret).not.toBe(b.secret);
    expect(URI.parse(a.otpauthUri).issuer).toBe('Test Bank');
  });
});

describe('TotpService.verify', () => {
  it('accepts the current code and the codes one step either side, with their step', () => {
    const { service } = setup();
    const { secret, sealedSecret } = service.enroll('alice');
    expect(service.verify(sealedSecret, codeAt(secret, START), null)).toEqual({ ok: true, step: STEP });
    expect(service.verify(sealedSecret, codeAt(secret, START - 30_000), null)).toEqual({ ok: true, step: STEP - 1 });
    expect(service.verify(sealedSecret, codeAt(secret, START + 30_000), null)).toEqual({ ok: true, step: STEP + 1 });
  });

  it('refuses codes two steps away', () => {
    const { service } = setup();
    const { secret, sealedSecret } = service.enroll('alice');
    const far = [codeAt(secret, START - 60_000), codeAt(secret, START + 60_000)];
    const near = new Set([-1, 0, 1].map((d) => codeAt(secret, START + d * 30_000)));
    for (const code of far)
      if (!near.has(code)) expect(service.verify(sealedSecret, code, null)).toEqual({ ok: false });
  });

  it('refuses a step at or before the last accepted one (replay)', () => {
    const { service } = setup();
    const { secret, sealedSecret } = service.enroll('alice');
    const code = codeAt(secret, START);
    expect(service.verify(sealedSecret, code, STEP - 1)).toEqual({ ok: true, step: STEP });
    // A right code already used says so (protocol/README.md §7.7: TOTP_INVALID with reason USED).
    expect(service.verify(sealedSecret, code, STEP)).toEqual({ ok: false, reason: 'USED' });
    expect(service.verify(sealedSecret, codeAt(secret, START - 30_000), STEP)).toEqual({ ok: false, reason: 'USED' });
    expect(service.verify(sealedSecret, codeAt(secret, START + 30_000), STEP)).toEqual({ ok: true, step: STEP + 1 });
  });

  it('follows the clock', () => {
    const { service, setNow } = setup();
    const { secret, sealedSecret } = service.enroll('alice');
    const later = START + 10 * 60_000;
    const code = codeAt(secret, later);
    setNow(later);
    expect(service.verify(sealedSecret, code, null)).toEqual({ ok: true, step: STEP + 20 });
  });

  it('refuses malformed codes, wrong codes, damaged seals and another key', () => {
    const { service } = setup();
    const { secret, sealedSecret } = service.enroll('alice');
    const good = codeAt(secret, START);
    const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
    const near = new Set([-1, 0, 1].map((d) => codeAt(secret, START + d * 30_000)));
    if (!near.has(wrong)) expect(service.verify(sealedSecret, wrong, null)).toEqual({ ok: false });
    for (const bad of ['', '12345', '1234567', 'abcdef', ` ${good.slice(1)}`, `${good}\n`]) {
      expect(service.verify(sealedSecret, bad, null)).toEqual({ ok: false });
    }
    expect(service.verify('v1:AAAA', good, null)).toEqual({ ok: false });
    expect(service.verify(secret, good, null)).toEqual({ ok: false });
    const other = new TotpService(new PiiBox(PiiBox.generateKey()), { clock: () => START });
    expect(other.verify(sealedSecret, good, null)).toEqual({ ok: false });
  });

  it('agrees with RFC 6238 test vector codes (SHA-1, 6 digits)', () => {
    // RFC 6238 appendix B secret "12345678901234567890"; 8-digit 94287082 at T=59 s → 6 digits 287082.
    const rfcSecret = Secret.fromUTF8('12345678901234567890');
    const box = new PiiBox(PiiBox.generateKey());
    const service = new TotpService(box, { clock: () => 59_000 });
    const sealed = box.seal(rfcSecret.base32);
    expect(service.verify(sealed, '287082', null)).toEqual({ ok: true, step: 1 });
    expect(HOTP.generate({ secret: rfcSecret, counter: 1 })).toBe('287082');
  });
});
