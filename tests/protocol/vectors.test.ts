import { createCipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  completeKeyExchange,
  deriveSessionKeys,
  FrameOpener,
  FrameSealer,
  generateX25519KeyPair,
  parseHello,
  parseWelcome,
  SealedChannel,
  type SessionKeys,
  transcriptHash,
  x25519,
  x25519PublicKey,
} from '../../protocol/index.js';
import { hex, loadVectors, sealedInOrder } from '../helpers/vectors.js';

// Expected bytes come from tests/fixtures/protocol-vectors.json; where a step is recomputed here
// it is with node:crypto or tweetnacl directly, never with the code under test.
const v = loadVectors();
const helloBytes = Buffer.from(v.helloUtf8, 'utf8');
const welcomeBytes = Buffer.from(v.welcomeUtf8, 'utf8');
const transcript = {
  clientNonce: hex(v.clientNonce),
  serverNonce: hex(v.serverNonce),
  helloBytes,
  welcomeBytes,
};
const vectorKeys = (): SessionKeys => ({
  c2sEnc: hex(v.keys.c2sEnc),
  c2sMac: hex(v.keys.c2sMac),
  s2cEnc: hex(v.keys.s2cEnc),
  s2cMac: hex(v.keys.s2cMac),
});
const keysHex = (k: SessionKeys) => ({
  c2sEnc: k.c2sEnc.toString('hex'),
  c2sMac: k.c2sMac.toString('hex'),
  s2cEnc: k.s2cEnc.toString('hex'),
  s2cMac: k.s2cMac.toString('hex'),
});

describe('vectors file is self-consistent (checked with node:crypto and tweetnacl only)', () => {
  it('public keys and the shared secret follow from the secrets', () => {
    const { clientSecret, clientPublic, serverSecret, serverPublic, shared } = v.x25519;
    expect(Buffer.from(nacl.scalarMult.base(hex(clientSecret))).toString('hex')).toBe(clientPublic);
    expect(Buffer.from(nacl.scalarMult.base(hex(serverSecret))).toString('hex')).toBe(serverPublic);
    expect(Buffer.from(nacl.scalarMult(hex(clientSecret), hex(serverPublic))).toString('hex')).toBe(shared);
  });

  it('hello and welcome carry the vector nonces, keys and session id', () => {
    const hello = JSON.parse(v.helloUtf8);
    const welcome = JSON.parse(v.welcomeUtf8);
    expect(Buffer.from(hello.clientNonce, 'base64').toString('hex')).toBe(v.clientNonce);
    expect(Buffer.from(hello.clientKey, 'base64').toString('hex')).toBe(v.x25519.clientPublic);
    expect(Buffer.from(welcome.serverNonce, 'base64').toString('hex')).toBe(v.serverNonce);
    expect(Buffer.from(welcome.serverKey, 'base64').toString('hex')).toBe(v.x25519.serverPublic);
    expect(Buffer.from(welcome.sessionId, 'base64').toString('hex')).toBe(v.sessionId);
  });

  it('transcript hash, okm and keys follow protocol/README.md §3', () => {
    const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    const th = createHash('sha256')
      .update(Buffer.concat([u32(helloBytes.length), helloBytes, u32(welcomeBytes.length), welcomeBytes]))
      .digest();
    expect(th.toString('hex')).toBe(v.transcriptHash);
    const okm = Buffer.from(
      hkdfSync(
        'sha256',
        hex(v.x25519.shared),
        Buffer.concat([hex(v.clientNonce), hex(v.serverNonce)]),
        Buffer.concat([Buffer.from('secure-atm/1 keys', 'ascii'), th]),
        128,
      ),
    );
    expect(okm.toString('hex')).toBe(v.okm);
    expect(v.okm).toBe(v.keys.c2sEnc + v.keys.c2sMac + v.keys.s2cEnc + v.keys.s2cMac);
  });

  it('every sealed envelope follows protocol/README.md §4', () => {
    for (const s of v.sealed) {
      const enc = hex(s.direction === 'c2s' ? v.keys.c2sEnc : v.keys.s2cEnc);
      const mac = hex(s.direction === 'c2s' ? v.keys.c2sMac : v.keys.s2cMac);
      const iv = Buffer.alloc(16);
      iv.writeBigUInt64BE(BigInt(s.seq), 0);
      const cipher = createCipheriv('aes-256-ctr', enc, iv);
      const ct = Buffer.concat([cipher.update(s.plaintextUtf8, 'utf8'), cipher.final()]);
      const seq8 = Buffer.alloc(8);
      seq8.writeBigUInt64BE(BigInt(s.seq), 0);
      const tag = createHmac('sha256', mac)
        .update(
          Buffer.concat([
            Buffer.from('secure-atm/1', 'ascii'),
            Buffer.from([s.direction === 'c2s' ? 0x01 : 0x02]),
            hex(v.sessionId),
            seq8,
            ct,
          ]),
        )
        .digest();
      expect(s.envelope).toEqual({ seq: s.seq, ct: ct.toString('base64'), mac: tag.toString('base64') });
    }
  });
});

describe('key schedule reproduces the vectors', () => {
  it('x25519PublicKey derives both public keys from the secrets', () => {
    expect(x25519PublicKey(hex(v.x25519.clientSecret)).toString('hex')).toBe(v.x25519.clientPublic);
    expect(x25519PublicKey(hex(v.x25519.serverSecret)).toString('hex')).toBe(v.x25519.serverPublic);
  });

  it('x25519 gives the same shared secret from both sides', () => {
    const fromClient = x25519(hex(v.x25519.clientSecret), hex(v.x25519.serverPublic));
    const fromServer = x25519(hex(v.x25519.serverSecret), hex(v.x25519.clientPublic));
    expect(fromClient.ok && fromClient.value.toString('hex')).toBe(v.x25519.shared);
    expect(fromServer.ok && fromServer.value.toString('hex')).toBe(v.x25519.shared);
  });

  it('transcriptHash over the exact hello and welcome bytes', () => {
    expect(transcriptHash(helloBytes, welcomeBytes).toString('hex')).toBe(v.transcriptHash);
    // One changed byte of either frame changes the hash: it is over the bytes, not the meaning.
    const spaced = Buffer.from(v.helloUtf8.replace('{', '{ '), 'utf8');
    expect(transcriptHash(spaced, welcomeBytes).toString('hex')).not.toBe(v.transcriptHash);
    expect(transcriptHash(welcomeBytes, helloBytes).toString('hex')).not.toBe(v.transcriptHash);
  });

  it('deriveSessionKeys cuts the okm into the four direction keys', () => {
    const keys = deriveSessionKeys({ ...transcript, shared: hex(v.x25519.shared) });
    expect(keysHex(keys)).toEqual(v.keys);
  });

  it.each([
    ['client', 'clientSecret', 'serverPublic'],
    ['server', 'serverSecret', 'clientPublic'],
  ] as const)('completeKeyExchange on the %s side gives the vector keys and wipes the secret', (_side, own, peer) => {
    const secret = hex(v.x25519[own]);
    const result = completeKeyExchange(secret, hex(v.x25519[peer]), transcript);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(keysHex(result.value)).toEqual(v.keys);
    expect(secret.equals(Buffer.alloc(32))).toBe(true);
  });

  it('completeKeyExchange refuses an all-zero (low-order) peer key, and still wipes the secret', () => {
    for (const peer of [Buffer.alloc(32), Buffer.from([1, ...Buffer.alloc(31)])]) {
      const secret = hex(v.x25519.clientSecret);
      const result = completeKeyExchange(secret, peer, transcript);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('KEY_EXCHANGE_FAILED');
      expect(secret.equals(Buffer.alloc(32))).toBe(true);
    }
  });

  it('x25519 refuses keys of the wrong length', () => {
    const short = x25519(Buffer.alloc(31, 1), hex(v.x25519.serverPublic));
    const long = x25519(hex(v.x25519.clientSecret), Buffer.alloc(33, 9));
    expect(!short.ok && short.error.code).toBe('KEY_EXCHANGE_FAILED');
    expect(!long.ok && long.error.code).toBe('KEY_EXCHANGE_FAILED');
  });

  it('generateX25519KeyPair makes fresh 32-byte pairs that agree', () => {
    const a = generateX25519KeyPair();
    const b = generateX25519KeyPair();
    expect(a.publicKey).toHaveLength(32);
    expect(a.secretKey).toHaveLength(32);
    expect(a.publicKey.equals(b.publicKey)).toBe(false);
    expect(x25519PublicKey(a.secretKey).equals(a.publicKey)).toBe(true);
    // The pair agrees with an independent implementation.
    expect(Buffer.from(nacl.scalarMult.base(a.secretKey)).equals(a.publicKey)).toBe(true);
    const ab = x25519(a.secretKey, b.publicKey);
    const ba = x25519(b.secretKey, a.publicKey);
    expect(ab.ok && ba.ok && ab.value.equals(ba.value)).toBe(true);
  });

  it('the vector hello and welcome pass validation', () => {
    const hello = parseHello(helloBytes);
    const welcome = parseWelcome(welcomeBytes);
    expect(hello.ok && hello.value.clientNonce.toString('hex')).toBe(v.clientNonce);
    expect(hello.ok && hello.value.clientKey.toString('hex')).toBe(v.x25519.clientPublic);
    expect(welcome.ok && welcome.value.sessionId.toString('hex')).toBe(v.sessionId);
    expect(welcome.ok && welcome.value.serverKey.toString('hex')).toBe(v.x25519.serverPublic);
  });
});

describe('sealed frames reproduce the vectors byte for byte', () => {
  const sessionId = hex(v.sessionId);

  it.each(['c2s', 's2c'] as const)('FrameSealer(%s) seals frames 0..n to the exact envelopes', (direction) => {
    const sealer = new FrameSealer(vectorKeys(), direction, sessionId);
    for (const s of sealedInOrder(v, direction)) {
      expect(sealer.seq).toBe(s.seq);
      const sealed = sealer.seal(s.plaintextUtf8);
      expect(sealed.ok).toBe(true);
      if (!sealed.ok) return;
      // The envelope bytes are the JSON the sender writes, keys in the order seq, ct, mac.
      expect(sealed.value.toString('utf8')).toBe(JSON.stringify(s.envelope));
    }
  });

  it.each(['c2s', 's2c'] as const)('FrameSealer(%s).sealEnvelope gives the envelope objects', (direction) => {
    const sealer = new FrameSealer(vectorKeys(), direction, sessionId);
    for (const s of sealedInOrder(v, direction)) {
      expect(sealer.sealEnvelope(Buffer.from(s.plaintextUtf8, 'utf8'))).toEqual({ ok: true, value: s.envelope });
    }
  });

  it.each(['c2s', 's2c'] as const)('FrameOpener(%s) opens each envelope back to its exact plaintext', (direction) => {
    const opener = new FrameOpener(vectorKeys(), direction, sessionId);
    for (const s of sealedInOrder(v, direction)) {
      const opened = opener.open(Buffer.from(JSON.stringify(s.envelope), 'utf8'));
      expect(opened.ok).toBe(true);
      if (opened.ok) expect(opened.value.toString('utf8')).toBe(s.plaintextUtf8);
    }
    expect(opener.seq).toBe(sealedInOrder(v, direction).length);
  });

  it('SealedChannel roles: the client seals c2s and opens s2c, the server the reverse', () => {
    const client = new SealedChannel('client', vectorKeys(), sessionId);
    const server = new SealedChannel('server', vectorKeys(), sessionId);
    for (const s of sealedInOrder(v, 'c2s')) {
      const sealed = client.sealMessage(JSON.parse(s.plaintextUtf8));
      expect(sealed.ok && sealed.value.toString('utf8')).toBe(JSON.stringify(s.envelope));
      const opened = server.open(Buffer.from(JSON.stringify(s.envelope)));
      expect(opened.ok && opened.value.toString('utf8')).toBe(s.plaintextUtf8);
    }
    for (const s of sealedInOrder(v, 's2c')) {
      const sealed = server.sealMessage(JSON.parse(s.plaintextUtf8));
      expect(sealed.ok && sealed.value.toString('utf8')).toBe(JSON.stringify(s.envelope));
      const opened = client.open(Buffer.from(JSON.stringify(s.envelope)));
      expect(opened.ok && opened.value.toString('utf8')).toBe(s.plaintextUtf8);
    }
  });

  it('keys from completeKeyExchange seal the same envelopes as the vector keys', () => {
    const result = completeKeyExchange(hex(v.x25519.serverSecret), hex(v.x25519.clientPublic), transcript);
    if (!result.ok) throw result.error;
    const sealer = new FrameSealer(result.value, 's2c', sessionId);
    for (const s of sealedInOrder(v, 's2c')) {
      expect(sealer.seal(s.plaintextUtf8)).toEqual({ ok: true, value: Buffer.from(JSON.stringify(s.envelope)) });
    }
  });
});
