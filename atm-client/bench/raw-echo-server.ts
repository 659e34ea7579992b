#!/usr/bin/env node
import { encodeFrame, FrameDecoder } from '../../protocol/index.js';
import { benchTlsServer, serveUntilStopped } from './bench-tls-program.js';

/**
 * The raw TLS 1.3 baseline for `atm bench`: the physical limit of this stack on this machine.
 * Same TLS (certificate, TLS 1.3, no Nagle) and the same framing as the bank, and nothing else:
 * each request frame names, in its first 4 bytes, the payload size of the answer it wants
 * (so the echo carries the bank's response sizes), and gets that frame straight back.
 *
 * Usage: node raw-echo-server.js --cert <file> --key <file> [--host 127.0.0.1] [--port 0]
 * Prints one JSON line {"msg":"listening","port":N} when ready; SIGTERM/SIGINT or the end of
 * its stdin (the bench that started it is gone) stop it.
 */

const answers = new Map<number, Buffer>();
function answerOf(size: number): Buffer {
  let frame = answers.get(size);
  if (!frame) {
    frame = encodeFrame(Buffer.alloc(size, 0x61));
    answers.set(size, frame);
  }
  return frame;
}

const server = benchTlsServer('raw-echo-server');
server.on('secureConnection', (socket) => {
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    const { frames, error } = decoder.push(chunk);
    for (const frame of frames) {
      const size = frame.length >= 4 ? frame.readUInt32BE(0) : 1;
      socket.write(answerOf(Math.min(Math.max(size, 1), 65_536)));
    }
    if (error) socket.destroy();
  });
});
serveUntilStopped(server);
