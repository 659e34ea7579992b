import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * DESIGN.md's import rules, enforced by reading the source:
 * - protocol/ imports nothing of ours, and no I/O, timers or logger (node:net, node:tls, node:fs,
 *   timers, pino, …); it calls no setTimeout/setInterval/setImmediate and no console;
 * - audit/ imports, of ours, only protocol/;
 * - server/ imports protocol/ and audit/ only (never atm-client/);
 * - atm-client/ imports protocol/ only (never server/ or audit/);
 * - a cross-folder import goes through the folder's index.ts ('../../protocol/index.js');
 * - nothing imports from tests/;
 * - nothing outside protocol/ builds a handshake message by hand: `hello`, `welcome` and `error`
 *   frames come from protocol/'s encoders (an object literal with `type: 'hello'` or
 *   `type: 'welcome'`, or `type: 'error'` beside a `code`, is a violation);
 * - the server's socket driver (server/session/connection.ts) frames, seals, encodes and parses
 *   nothing itself: every byte it writes comes from the server session engine's actions.
 */

const AREAS = ['protocol', 'audit', 'server', 'atm-client'] as const;
type Area = (typeof AREAS)[number];

const MAY_IMPORT: Record<Area, readonly Area[]> = {
  protocol: [],
  audit: ['protocol'],
  server: ['protocol', 'audit'],
  'atm-client': ['protocol'],
};

/** Modules that mean I/O, timers or logging: protocol/ is pure code. */
const IO_MODULE =
  /^(?:node:)?(?:net|tls|fs|fs\/promises|timers|timers\/promises|http|https|http2|dgram|dns|child_process|worker_threads|readline|cluster)$|^pino(?:\/|$)|^pino-/;

const SOURCE_FILE = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

interface SourceFile {
  /** Repo-relative, '/'-separated. */
  path: string;
  text: string;
}

interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Every module specifier a file names: static, type-only, re-export, side-effect, dynamic, require. */
function importSpecifiers(text: string): string[] {
  const code = stripComments(text);
  const patterns = [
    /(?:^|[\s;{}])(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"\n]+)\1/g,
    /(?:^|[\s;{}])import\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*[,)]/g,
    /\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
  ];
  const found: string[] = [];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) if (m[2]) found.push(m[2]);
  return found;
}

function areaOf(file: string): Area | null {
  const top = file.split('/')[0];
  return (AREAS as readonly string[]).includes(top ?? '') ? (top as Area) : null;
}

function isIndex(target: string, area: Area): boolean {
  return /^index(?:\.(?:js|ts|tsx|mjs|mts))?$/.test(target.slice(area.length + 1));
}

/** Check a list of files against the rules; returns every violation found. */
function checkImportRules(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const area = areaOf(file.path);
    if (area === null) continue;
    const add = (specifier: string, rule: string) => violations.push({ file: file.path, specifier, rule });
    if (area === 'protocol') {
      const code = stripComments(file.text);
      const timer = /\b(setTimeout|setInterval|setImmediate)\s*\(/.exec(code);
      if (timer) add(timer[1] as string, 'protocol/ uses no timers');
      if (/\bconsole\s*\./.test(code)) add('console', 'protocol/ does no logging');
    }
    for (const specifier of importSpecifiers(file.text)) {
      if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
        if (area === 'protocol' && IO_MODULE.test(specifier))
          add(specifier, 'protocol/ imports no I/O, timers or logger');
        continue;
      }
      if (specifier.startsWith('/')) {
        add(specifier, 'imports use relative paths');
        continue;
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
      const top = target.split('/')[0] ?? '';
      if (target.startsWith('..')) add(specifier, 'imports stay inside the repository');
      else if (top === 'tests') add(specifier, 'nothing imports from tests/');
      else if (top === area) continue;
      else if (area === 'protocol') add(specifier, 'protocol/ imports nothing of ours');
      else if ((AREAS as readonly string[]).includes(top)) {
        const other = top as Area;
        if (!MAY_IMPORT[area].includes(other)) add(specifier, `${area}/ may not import ${other}/`);
        else if (!isIndex(target, other)) add(specifier, `cross-folder imports go through ${other}/index.ts`);
      } else if (top === 'dist') add(specifier, 'nothing imports compiled output');
    }
  }
  return violations;
}

/** `type: 'hello' | 'welcome'`, or `type: 'error'` in the same braces as a `code`, in either quote style. */
const HAND_BUILT_HANDSHAKE = /\btype['"]?\s*:\s*(['"])(?:hello|welcome)\1/;
const HAND_BUILT_ERROR_FRAME = /\{[^{}]*\btype['"]?\s*:\s*(['"])error\1[^{}]*\}/g;

/** Files outside protocol/ that build a hello, welcome or error frame themselves. */
function handBuiltMessages(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const area = areaOf(file.path);
    if (area === null || area === 'protocol') continue;
    const code = stripComments(file.text);
    const add = (found: string) =>
      violations.push({
        file: file.path,
        specifier: found.trim(),
        rule: 'protocol messages come from protocol/ encoders',
      });
    const handshake = HAND_BUILT_HANDSHAKE.exec(code);
    if (handshake) add(handshake[0]);
    for (const m of code.matchAll(HAND_BUILT_ERROR_FRAME)) if (/\bcode\b/.test(m[0])) add(m[0]);
  }
  return violations;
}

/** The socket driver leaves framing, sealing, keys and every message to the engine. */
const SOCKET_DRIVER = 'server/session/connection.ts';
const PROTOCOL_WORK =
  /\b(?:encodeFrame|FrameDecoder|encode[A-Z]\w*|parse(?:Hello|Request|ServerMessage|HandshakeReply)|SealedChannel|FrameSealer|FrameOpener|deriveSessionKeys|x25519|generateX25519KeyPair|JSON\.stringify)\b/g;

/** What the socket driver does that is the engine's work. */
function driverProtocolWork(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    if (file.path !== SOCKET_DRIVER) continue;
    for (const m of stripComments(file.text).matchAll(PROTOCOL_WORK)) {
      violations.push({
        file: file.path,
        specifier: m[0],
        rule: 'the socket driver leaves the protocol to the engine',
      });
    }
  }
  return violations;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every source file of the four areas, read from disk. */
function readSourceTree(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
        files.push({ path: rel, text: readFileSync(path.join(root, rel), 'utf8') });
      }
    }
  };
  for (const area of AREAS) {
    try {
      walk(area);
    } catch (error) {
      // A folder not written yet (early in the project) has nothing to check.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return files;
}

describe('import rules hold in this repository', () => {
  const files = readSourceTree(REPO_ROOT);

  it('finds the source files (the scan is not vacuous)', () => {
    const paths = files.map((f) => f.path);
    expect(paths).toContain('protocol/index.ts');
    expect(paths).toContain('protocol/frame.ts');
    expect(files.filter((f) => f.path.startsWith('protocol/')).every((f) => f.text.length > 0)).toBe(true);
    expect(importSpecifiers(files.find((f) => f.path === 'protocol/index.ts')?.text ?? '')).toContain('./frame.js');
  });

  it('no file breaks a rule', () => {
    expect(checkImportRules(files)).toEqual([]);
  });

  it('protocol/index.ts names what it exports (no export *)', () => {
    const index = stripComments(files.find((f) => f.path === 'protocol/index.ts')?.text ?? 'export *');
    expect(index).not.toMatch(/export\s*(?:type\s*)?\*/);
  });

  it('no file outside protocol/ builds a hello, welcome or error frame by hand', () => {
    expect(handBuiltMessages(files)).toEqual([]);
  });

  it('the socket driver frames, seals, encodes and parses nothing itself', () => {
    expect(files.map((f) => f.path)).toContain(SOCKET_DRIVER);
    expect(driverProtocolWork(files)).toEqual([]);
  });
});

describe('driverProtocolWork on fake files (the check can fail)', () => {
  const file = (p: string, ...lines: string[]): SourceFile => ({ path: p, text: lines.join('\n') });

  it.each<[string, string]>([
    ['a frame written by hand', 'this.socket.write(encodeFrame(payload));'],
    ['an error frame', "this.socket.write(encodeErrorFrame('INTERNAL'));"],
    ['a welcome', 'const welcome = encodeWelcome(fields);'],
    ['its own key schedule', 'const keys = deriveSessionKeys(input);'],
    ['its own sealing', "this.channel = new SealedChannel('server', keys, id);"],
    ['a response serialised by hand', 'this.socket.write(JSON.stringify(response));'],
    ['a request parsed by hand', 'const parsed = parseRequest(bytes);'],
  ])('%s is a violation', (_name, line) => {
    expect(driverProtocolWork([file(SOCKET_DRIVER, line)]).map((v) => v.rule)).toEqual([
      'the socket driver leaves the protocol to the engine',
    ]);
  });

  it("carrying out the engine's actions is fine, and so are other files", () => {
    expect(
      driverProtocolWork([file(SOCKET_DRIVER, 'this.socket.write(action.bytes);', '// never encodeFrame here')]),
    ).toEqual([]);
    expect(
      driverProtocolWork([file('server/bank-server.ts', 'socket.end(encodeFrame(encodeErrorFrame(code)));')]),
    ).toEqual([]);
  });
});

describe('handBuiltMessages on fake files (the check can fail)', () => {
  const file = (p: string, ...lines: string[]): SourceFile => ({ path: p, text: lines.join('\n') });

  it.each<[string, SourceFile]>([
    ['a hello literal', file('atm-client/x.ts', "const hello = { type: 'hello', protocol: PROTOCOL_ID };")],
    ['a welcome literal', file('server/x.ts', 'JSON.stringify({', '  type: "welcome",', '  user,', '})')],
    [
      'an error frame literal',
      file('server/x.ts', "socket.end(encodeFrame(JSON.stringify({ type: 'error', code })));"),
    ],
    ['an error frame as JSON keys', file('server/x.ts', 'const f = { "type": "error", "code": "AUTH_FAILED" };')],
    ['a hello in a bench', file('atm-client/bench/x.ts', "JSON.stringify({ type: 'hello', auth })")],
  ])('%s is a violation', (_name, bad) => {
    expect(handBuiltMessages([bad]).map((v) => v.rule)).toEqual(['protocol messages come from protocol/ encoders']);
  });

  it.each<[string, SourceFile]>([
    ['the encoders themselves', file('protocol/handshake-messages.ts', "const hello = { type: 'hello' };")],
    ['a UI state named error', file('atm-client/ui/x.ts', "setStep({ type: 'error', message: 'no cash' });")],
    ['a comment', file('server/x.ts', "// never { type: 'error', code } by hand")],
    ['a test', file('tests/server/x.test.ts', "const hello = { type: 'hello' };")],
    ['an encoder call', file('server/x.ts', "socket.end(encodeFrame(encodeErrorFrame('RATE_LIMITED')));")],
  ])('%s is fine', (_name, good) => {
    expect(handBuiltMessages([good])).toEqual([]);
  });
});

describe('importSpecifiers', () => {
  it('finds every form of import and re-export', () => {
    const text = [
      "import a from './a.js';",
      "import { b, type B } from './b.js';",
      'import {',
      '  c,',
      '  d,',
      "} from './cd.js';",
      "import type { E } from './e.js';",
      "import * as f from './f.js';",
      "import './side-effect.js';",
      "export { g } from './g.js';",
      "export * from './h.js';",
      "export type { I } from './i.js';",
      "const j = await import('./j.js');",
      "const k = require('./k.js');",
      'import l from "./l.js";',
      "import data from './m.json' with { type: 'json' };",
      "export const n = Buffer.from('not-an-import');",
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(
      [
        './a.js',
        './b.js',
        './cd.js',
        './e.js',
        './f.js',
        './side-effect.js',
        './g.js',
        './h.js',
        './i.js',
        './j.js',
        './k.js',
        './l.js',
        './m.json',
      ].sort(),
    );
  });

  it('ignores imports in comments', () => {
    const text = [
      "// import x from '../server/index.js';",
      "/* import y from 'node:net'; */",
      '/**',
      " * import z from 'pino';",
      ' */',
    ].join('\n');
    expect(importSpecifiers(text)).toEqual([]);
  });
});

describe('checkImportRules on fake trees (the checker can fail)', () => {
  const file = (p: string, ...lines: string[]): SourceFile => ({ path: p, text: lines.join('\n') });
  const rulesOf = (files: SourceFile[]) => checkImportRules(files).map((v) => v.rule);

  it.each<[string, SourceFile, string]>([
    [
      'protocol importing server',
      file('protocol/x.ts', "import { a } from '../server/index.js';"),
      'protocol/ imports nothing of ours',
    ],
    [
      'protocol importing audit',
      file('protocol/x.ts', "import type { A } from '../audit/index.js';"),
      'protocol/ imports nothing of ours',
    ],
    [
      'protocol importing a root file',
      file('protocol/x.ts', "import p from '../package.json' with { type: 'json' };"),
      'protocol/ imports nothing of ours',
    ],
    [
      'protocol importing node:net',
      file('protocol/x.ts', "import net from 'node:net';"),
      'protocol/ imports no I/O, timers or logger',
    ],
    [
      'protocol importing tls',
      file('protocol/x.ts', "import { connect } from 'tls';"),
      'protocol/ imports no I/O, timers or logger',
    ],
    [
      'protocol importing node:fs',
      file('protocol/x.ts', "import { readFileSync } from 'node:fs';"),
      'protocol/ imports no I/O, timers or logger',
    ],
    [
      'protocol importing fs/promises',
      file('protocol/x.ts', "import fs from 'node:fs/promises';"),
      'protocol/ imports no I/O, timers or logger',
    ],
    [
      'protocol importing timers',
      file('protocol/x.ts', "import { setTimeout } from 'node:timers/promises';"),
      'protocol/ imports no I/O, timers or logger',
    ],
    [
      'protocol importing pino',
      file('protocol/x.ts', "import pino from 'pino';"),
      'protocol/ imports no I/O, timers or logger',
    ],
    [
      'protocol requiring node:net',
      file('protocol/x.ts', "const net = require('node:net');"),
      'protocol/ imports no I/O, timers or logger',
    ],
    [
      'protocol calling setTimeout',
      file('protocol/x.ts', 'export function f() { setTimeout(() => {}, 1); }'),
      'protocol/ uses no timers',
    ],
    [
      'protocol logging',
      file('protocol/x.ts', "export function f() { console.log('x'); }"),
      'protocol/ does no logging',
    ],
    [
      'audit importing server',
      file('audit/x.ts', "import { s } from '../server/index.js';"),
      'audit/ may not import server/',
    ],
    [
      'audit importing atm-client',
      file('audit/w/x.ts', "import { c } from '../../atm-client/index.js';"),
      'audit/ may not import atm-client/',
    ],
    [
      'server importing atm-client',
      file('server/x.ts', "import type { Outcome } from '../atm-client/index.js';"),
      'server/ may not import atm-client/',
    ],
    [
      'atm-client importing server',
      file('atm-client/cli/x.ts', "export { s } from '../../server/index.js';"),
      'atm-client/ may not import server/',
    ],
    [
      'atm-client importing audit',
      file('atm-client/x.ts', "const a = await import('../audit/index.js');"),
      'atm-client/ may not import audit/',
    ],
    [
      'server reaching into protocol internals',
      file('server/session/x.ts', "import { FrameDecoder } from '../../protocol/frame.js';"),
      'cross-folder imports go through protocol/index.ts',
    ],
    [
      'server reaching into audit internals',
      file('server/x.ts', "import { w } from '../audit/writer/dual.js';"),
      'cross-folder imports go through audit/index.ts',
    ],
    [
      'atm-client importing a protocol subfolder index',
      file('atm-client/x.ts', "import { x } from '../protocol/sub/index.js';"),
      'cross-folder imports go through protocol/index.ts',
    ],
    [
      'server importing tests',
      file('server/x.ts', "import { h } from '../tests/helpers/vectors.js';"),
      'nothing imports from tests/',
    ],
    ['protocol importing tests', file('protocol/x.ts', "import '../tests/setup.js';"), 'nothing imports from tests/'],
    [
      'a source file escaping the repo',
      file('server/x.ts', "import v from '../../sibling/protocol-vectors.json';"),
      'imports stay inside the repository',
    ],
    [
      'server importing dist',
      file('server/x.ts', "import { a } from '../dist/protocol/index.js';"),
      'nothing imports compiled output',
    ],
    [
      'an absolute import',
      file('server/x.ts', "import { a } from '/work/main/protocol/index.js';"),
      'imports use relative paths',
    ],
  ])('%s is a violation', (_name, bad, rule) => {
    expect(rulesOf([bad])).toEqual([rule]);
  });

  it.each<[string, SourceFile]>([
    [
      'protocol importing its own modules and node:crypto',
      file('protocol/x.ts', "import { a } from './a.js';", "import { createHash } from 'node:crypto';"),
    ],
    [
      'protocol naming setTimeout in a comment only',
      file('protocol/x.ts', '// never setTimeout(...) here', 'export const x = 1;'),
    ],
    [
      'audit importing protocol via its index',
      file('audit/segments/x.ts', "import { toB64 } from '../../protocol/index.js';", "import nacl from 'tweetnacl';"),
    ],
    [
      'server importing protocol and audit via their index',
      file(
        'server/a/b.ts',
        "import { p } from '../../protocol/index.js';",
        "import type { A } from '../../audit/index.js';",
      ),
    ],
    [
      'server using pino, net and timers',
      file('server/x.ts', "import pino from 'pino';", "import net from 'node:net';", 'setTimeout(() => {}, 5);'),
    ],
    [
      'atm-client importing protocol via its index',
      file('atm-client/ui/App.tsx', "import { parseRequest } from '../../protocol/index.js';"),
    ],
    [
      'atm-client importing its own files across subfolders',
      file('atm-client/ui/App.tsx', "import type { Outcome } from '../client/types.js';"),
    ],
    [
      'a test importing anything',
      file(
        'tests/server/x.test.ts',
        "import { a } from '../../server/session/x.js';",
        "import '../helpers/vectors.js';",
      ),
    ],
    ['a root config file', file('vitest.config.ts', "import { defineConfig } from 'vitest/config';")],
  ])('%s is fine', (_name, good) => {
    expect(checkImportRules([good])).toEqual([]);
  });

  it('reports every violation of a tree, with file and specifier', () => {
    const violations = checkImportRules([
      file('protocol/index.ts', "export * from './frame.js';"),
      file('server/a.ts', "import { x } from '../atm-client/index.js';", "import { y } from '../protocol/frame.js';"),
      file('atm-client/b.ts', "import { z } from '../protocol/index.js';"),
    ]);
    expect(violations).toEqual([
      { file: 'server/a.ts', specifier: '../atm-client/index.js', rule: 'server/ may not import atm-client/' },
      {
        file: 'server/a.ts',
        specifier: '../protocol/frame.js',
        rule: 'cross-folder imports go through protocol/index.ts',
      },
    ]);
  });
});
