import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { ed25519Signer } from '../../audit/keys/ed25519.js';
import { SegmentChain } from '../../audit/segment/segment-chain.js';
import { lineHash } from './segment-spec.js';

// SegmentChain seals with XSalsa20-Poly1305 split into its steps under a subkey derived once per
// segment; every record must be exactly nacl.secretbox's box for its nonce, at every length
// (Salsa20 works in 64-byte blocks, Poly1305 in 16-byte ones), and open with nacl.box.open.after.
describe('segment record sealing', () => {
  it('gives nacl.secretbox’s box for each record’s nonce, at lengths across block boundaries', () => {
    const auditor = nacl.box.keyPair();
    const chain = new SegmentChain({
      instance: 'main',
      created: '2026-01-01T00:00:00.000Z',
      run: 'r',
      segment: 1,
      firstSeq: 1,
      auditorPublicKey: auditor.publicKey,
      signer: ed25519Signer(nacl.sign.keyPair().secretKey),
      prevSegment: null,
      prevHash: null,
    });
    const header = JSON.parse(chain.headerLine) as { segmentPublicKey: string };
    const shared = nacl.box.before(Buffer.from(header.segmentPublicKey, 'base64'), auditor.secretKey);
    let head = chain.hash;
    for (let n = 0; n < 300; n++) {
      const json = JSON.stringify({ seq: n + 1, pad: 'é'.repeat(n % 7) + 'x'.repeat(n) });
      const line = JSON.parse(chain.appendRecord(n + 1, json)) as {
        i: number;
        nonce: string;
        box: string;
        hash: string;
      };
      const nonce = Buffer.from(line.nonce, 'base64');
      const box = Buffer.from(line.box, 'base64');
      expect(Buffer.from(nacl.secretbox(Buffer.from(json, 'utf8'), nonce, shared)).equals(box)).toBe(true);
      expect(Buffer.from(nacl.box.open.after(box, nonce, shared) ?? []).toString('utf8')).toBe(json);
      expect(nonce.readUInt32BE(20)).toBe(line.i);
      head = lineHash(head, { ...line, type: 'record', seq: n + 1 });
      expect(head.toString('base64')).toBe(line.hash);
    }
  });
});
