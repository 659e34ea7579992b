import { cleanup } from 'ink-testing-library';
import { create as createQr } from 'qrcode';
import { afterEach, describe, expect, it } from 'vitest';
import { drawQr } from '../../../atm-client/ui/qr.js';
import { FAKE_TOTP_CODE } from '../../helpers/fake-bank.js';
import { flat, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

const PASSWORD = 'Correct-Horse-9';
/** As long as the server's URIs get (150 characters: QR version 7 at error correction L). */
const LONG_URI = `otpauth://totp/secure-atm:alice.smith-01?issuer=secure-atm&secret=${'A'.repeat(52)}&algorithm=SHA1&digits=6&period=30`;

async function loggedIn(options: { totpCode?: string } = {}) {
  const atm = await renderAtm();
  atm.bank.addAccount('alice', { balanceCents: 10_000, ...options });
  await atm.waitFor('Log in');
  await atm.press('1');
  await atm.fill('alice', PASSWORD);
  if (options.totpCode) {
    await atm.waitFor('Two-factor code');
    await atm.fill(options.totpCode);
  }
  await atm.waitFor('Main menu');
  return atm;
}

describe('the QR code', () => {
  it('fits 80×24 for the longest URI: error correction L, half blocks, a quiet zone of 1–2', () => {
    expect(LONG_URI.length).toBeGreaterThanOrEqual(150);
    const qr = drawQr(LONG_URI, 80 - 26, 24);
    expect(qr).not.toBeNull();
    if (!qr) return;
    expect(qr.modules).toBe(45); // version 7
    expect(qr.rows).toBeLessThanOrEqual(24);
    expect(qr.quietZone).toBeGreaterThanOrEqual(1);
    expect(qr.lines).toHaveLength(qr.rows);
    for (const line of qr.lines) expect([...line]).toHaveLength(qr.columns);
    // The quiet zone is light: the first and last column are drawn in every row.
    for (const line of qr.lines) expect(line[0]).not.toBe(' ');
  });

  it('draws exactly the symbol: reading the half blocks back gives the QR matrix', () => {
    const qr = drawQr(LONG_URI, 80, 24);
    if (!qr) throw new Error('no drawing');
    const symbol = createQr(LONG_URI, { errorCorrectionLevel: 'L' }).modules;
    const top = new Set(['▀', '█']);
    const bottom = new Set(['▄', '█']);
    for (let r = 0; r < symbol.size; r++) {
      for (let c = 0; c < symbol.size; c++) {
        const row = r + qr.quietZone;
        const cell = [...(qr.lines[Math.floor(row / 2)] ?? '')][c + qr.quietZone] ?? '?';
        const light = row % 2 === 0 ? top.has(cell) : bottom.has(cell);
        expect(light, `module ${r},${c}`).toBe(!symbol.get(r, c));
      }
    }
  });

  it('two modules a row: a 37-module code with a quiet zone of 2 is 21 rows of 41 columns', () => {
    const uri = `otpauth://totp/secure-atm:alice?secret=${'B'.repeat(32)}&issuer=secure-atm`;
    const qr = drawQr(uri, 80, 24);
    expect(qr?.modules).toBe(37);
    expect(qr?.quietZone).toBe(2);
    expect(qr?.columns).toBe(41);
    expect(qr?.rows).toBe(21);
  });

  it('narrows the quiet zone before it gives up, and gives up when it cannot fit', () => {
    expect(drawQr(LONG_URI, 80, 25)?.quietZone).toBe(2);
    expect(drawQr(LONG_URI, 80, 24)?.quietZone).toBe(1);
    expect(drawQr(LONG_URI, 80, 23)).toBeNull();
    expect(drawQr(LONG_URI, 46, 30)).toBeNull();
  });
});

describe('turning two-factor login on', () => {
  it('asks for the password, shows the QR code alone, then takes the first code', async () => {
    const atm = await loggedIn();
    atm.bank.otpauthUri = LONG_URI;
    expect(atm.frame()).toContain('Set up two-factor login');
    await atm.pick('8', 'Two-factor login: off');
    await atm.pick(KEY.enter, 'Enter your password.');
    expect(atm.bank.callsOf('totp_enroll')).toHaveLength(0);

    await atm.enter('Wrong-Horse-1', 'That password is not right');
    await atm.press(...Array(13).fill(KEY.backspace));
    await atm.fill(PASSWORD);

    // The QR screen: no frame, every line within 80 columns, at most 24 rows.
    const qr = await atm.waitFor('Scan this code');
    expect(qr).not.toContain('╭');
    const lines = qr.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    expect(lines.filter((line) => /[▀▄█]{3}/.test(line)).length).toBeGreaterThanOrEqual(20);
    expect(atm.bank.callsOf('totp_enroll').map((call) => call.args[0])).toEqual(['Wrong-Horse-1', PASSWORD]);

    const code = await atm.pick(KEY.enter, 'Enter the 6-digit code');
    expect(code).toContain('JBSW Y3DP EHPK 3PXP');
    await atm.enter('000000', 'That code is not right');
    await atm.press(...Array(6).fill(KEY.backspace));
    await atm.enter(FAKE_TOTP_CODE, 'Two-factor login is on');
    const menu = await atm.pick(KEY.enter, 'Main menu');
    expect(menu).toContain('Two-factor login: on');
    expect(menu).not.toContain('Set up two-factor login');
  });

  it('a used code is said to be used, not wrong', async () => {
    const atm = await loggedIn();
    await atm.pick('8', 'Two-factor login: off');
    await atm.type(`${PASSWORD}\r`);
    await atm.waitFor('Scan this code');
    await atm.pick(KEY.enter, 'Enter the 6-digit code');
    atm.bank.failNext('totp_confirm', 'TOTP_INVALID', 'used', { reason: 'USED' });
    await atm.type(`${FAKE_TOTP_CODE}\r`);
    const screen = await atm.waitFor('already used');
    expect(flat(screen)).toContain('Wait for the next code');
    expect(screen).not.toContain('not right');
  });

  it('the QR screen, without the frame, still shows the idle countdown', async () => {
    const atm = await loggedIn();
    await atm.press('8');
    await atm.type(`${PASSWORD}\r`);
    await atm.waitFor('Scan this code');
    atm.clock.advance(241_000);
    const screen = await atm.waitFor('Session ends in');
    expect(flat(screen)).toContain('press any key');
    expect(screen.split('\n').length).toBeLessThanOrEqual(24);
  });

  it('Esc on the QR screen cancels; Esc at the code shows the QR again', async () => {
    const atm = await loggedIn();
    await atm.press('8');
    await atm.type(`${PASSWORD}\r`);
    await atm.waitFor('Scan this code');
    await atm.pick(KEY.enter, 'Enter the 6-digit code');
    await atm.pick(KEY.escape, 'Scan this code');
    await atm.pick(KEY.escape, 'Main menu');
    expect(atm.bank.callsOf('totp_confirm')).toHaveLength(0);
  });
});

describe('two-factor login already on', () => {
  it('says so and turns it off with the password and a current code', async () => {
    const atm = await loggedIn({ totpCode: '135790' });
    expect(atm.frame()).toContain('Two-factor login: on');
    const status = await atm.pick('8', 'Turn off');
    expect(status).toContain('Two-factor login: on');
    expect(atm.bank.callsOf('totp_enroll')).toHaveLength(0);
    await atm.pick(KEY.enter, 'current code from your app');
    await atm.type(`${PASSWORD}\r`);
    await atm.type('111111\r');
    await atm.waitFor('That code is not right');
    expect(atm.bank.accounts.get('alice')?.totpCode).toBe('135790');
    await atm.press(...Array(6).fill(KEY.backspace));
    await atm.type('135790\r');
    await atm.waitFor('Two-factor login is off');
    expect(atm.bank.callsOf('totp_disable').map((call) => call.args)).toEqual([
      [PASSWORD, '111111'],
      [PASSWORD, '135790'],
    ]);
    expect(atm.bank.accounts.get('alice')?.totpCode).toBeNull();
    expect(await atm.pick(KEY.enter, 'Main menu')).toContain('Set up two-factor login');
  });
});
