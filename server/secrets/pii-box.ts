import nacl from 'tweetnacl';

/** Seals personal data (e-mail, phone, TOTP secrets) at rest with the data key (nacl secretbox). */
export class PiiBox {
  private readonly key: Uint8Array;

  constructor(key: Uint8Array) {
    if (key.length !== nacl.secretbox.keyLength) throw new RangeError('data key must be 32 bytes');
    this.key = Uint8Array.from(key);
  }

  /** `v1:` + base64(nonce || box). */
  seal(plaintext: string): string {
    const nonce = nacl.randomBytes(nacl.secretbox.nonceLength);
    const box = nacl.secretbox(Buffer.from(plaintext, 'utf8'), nonce, this.key);
    return `v1:${Buffer.concat([nonce, box]).toString('base64')}`;
  }

  /** The plaintext, or null when the value was not sealed with this key or is damaged. */
  open(sealed: string): string | null {
    if (!sealed.startsWith('v1:')) return null;
    const raw = Buffer.from(sealed.slice(3), 'base64');
    if (raw.length < nacl.secretbox.nonceLength + nacl.secretbox.overheadLength) return null;
    const opened = nacl.secretbox.open(
      raw.subarray(nacl.secretbox.nonceLength),
      raw.subarray(0, nacl.secretbox.nonceLength),
      this.key,
    );
    return opened ? Buffer.from(opened).toString('utf8') : null;
  }

  static generateKey(): Uint8Array {
    return nacl.randomBytes(nacl.secretbox.keyLength);
  }

  wipe(): void {
    this.key.fill(0);
  }
}
