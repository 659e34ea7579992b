import { toString as qrToString } from 'qrcode';

/** Draws an otpauth URI as a QR code with half-block characters, for a terminal. */
export function renderQr(uri: string): Promise<string> {
  return qrToString(uri, { type: 'terminal', small: true });
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP", easier to type into an app by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}
