import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /**
   * Busy time by what it was for: each sample goes to the first rule that matches walking from
   * the running function out to its callers (so SQLite called by the ledger is "SQLite", a
   * JSON.stringify called by the audit writer is "audit writer").
   */
  byCategory: ProfileLine[];
  /** Busy time: everything but (idle). */
  busyMs: number;
  /** Self time by module (our files by path, node internals, packages, GC, native). */
  selfByModule: ProfileLine[];
  /** Time with a module anywhere on the stack (counts each sample once per module). */
  inclusiveByModule: ProfileLine[];
  /** Self time by function. */
  selfByFunction: ProfileLine[];
}

/** A readable module name for a call frame: our dist path, `node:…`, a package, or V8's pseudo frames. */
export function moduleOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const ours = /\/dist\/(.+)$/.exec(url);
  if (ours) return ours[1] as string;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

const SOCKET_WRITES = 'socket writes (TLS encrypt + send)';

/** First match from the innermost frame outwards names a sample's category. */
const CATEGORY_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\(garbage collector\)$/, 'garbage collection'],
  [/^\(program\)$/, 'V8/native, unattributed'],
  [/^\(native\) (writeBuffer|writeUtf8String|writeLatin1String|writev)$/, SOCKET_WRITES],
  [
    /^node:internal\/(tls|stream_base_commons|streams|net)|^node:(net|tls|_tls_wrap|stream)$/,
    'TLS + socket reads/streams',
  ],
  [/^node:internal\/crypto|^node:crypto$/, 'node crypto (HMAC, AES, hashes)'],
  [/^tweetnacl$/, 'audit: tweetnacl (box, sign)'],
  [
    /^(pino|sonic-boom|fast-redact|quick-format-unescaped|on-exit-leak-free|thread-stream)$/,
    'audit: plaintext log (pino)',
  ],
  [/^prom-client$/, 'metrics (prom-client)'],
  [/^audit\//, 'audit writer (JSON, hash chain, files)'],
  [/^server\/ledger\/|^better-sqlite3$/, 'ledger: SQLite statements, COMMIT + fsync, rules'],
  [/^server\/fraud\//, 'fraud rules'],
  [/^protocol\/(sealed-channel|frame-crypto)/, 'protocol: sealed frames (JS)'],
  [/^protocol\//, 'protocol: frames, JSON, validation'],
  [/^server\/session\//, 'session: connection + handlers'],
  [/^server\/auth\//, 'auth'],
  [/^server\//, 'server (other)'],
  [/^node:internal\/(timers|process\/task_queues)$/, 'event loop: timers + microtasks'],
];

/** Work done on behalf of whoever called it: named "<what> for <caller's category>". */
const SERVICE_CATEGORIES = new Set(['node crypto (HMAC, AES, hashes)']);

/** The native write of a file (fs, fs/promises) is the same `writeBuffer` as a socket's: named by its caller. */
const FILE_WRITE_CALLER = /^node:(fs|internal\/fs\/)/;

function categoryOf(modules: readonly string[]): string {
  for (let i = 0; i < modules.length; i++) {
    for (const [pattern, name] of CATEGORY_RULES) {
      if (!pattern.test(modules[i] as string)) continue;
      if (name === SOCKET_WRITES && FILE_WRITE_CALLER.test(modules[i + 1] ?? '')) break;
      if (!SERVICE_CATEGORIES.has(name)) return name;
      const owner = categoryOf(modules.slice(i + 1).filter((m) => !/^node:/.test(m)));
      return owner === 'other' ? name : `${name} for ${owner}`;
    }
  }
  return 'other';
}

function top(map: Map<string, number>, busyMs: number, n: number): ProfileLine[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms, share: busyMs ? ms / busyMs : 0 }));
}

/** Where a V8 CPU profile (node --cpu-prof) spent its time. */
export async function summarizeCpuProfile(path: string, n = 20): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stackModules = new Map<number, Set<string>>();
  const category = new Map<number, string>();
  const categoryOfNode = (id: number): string => {
    const known = category.get(id);
    if (known) return known;
    const chain: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      chain.push(moduleOf((byId.get(at) as ProfileNode).callFrame));
    }
    const name = categoryOf(chain);
    category.set(id, name);
    return name;
  };
  const byCategory = new Map<string, number>();
  const modulesOnStack = (id: number): Set<string> => {
    const known = stackModules.get(id);
    if (known) return known;
    const node = byId.get(id) as ProfileNode;
    const up = parent.get(id);
    const set = new Set(up === undefined ? [] : modulesOnStack(up));
    set.add(moduleOf(node.callFrame));
    stackModules.set(id, set);
    return set;
  };

  const selfModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const selfFunction = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const node = byId.get(id);
    if (!node) return;
    const module = moduleOf(node.callFrame);
    if (module === '(idle)') {
      idleMs += ms;
      return;
    }
    selfModule.set(module, (selfModule.get(module) ?? 0) + ms);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${module}:${node.callFrame.lineNumber + 1}`;
    selfFunction.set(fn, (selfFunction.get(fn) ?? 0) + ms);
    for (const m of modulesOnStack(id)) inclusive.set(m, (inclusive.get(m) ?? 0) + ms);
    const cat = categoryOfNode(id);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + ms);
  });
  const busyMs = totalMs - idleMs;
  inclusive.delete('(root)');
  return {
    totalMs,
    busyMs,
    byCategory: top(byCategory, busyMs, 30),
    selfByModule: top(selfModule, busyMs, n),
    inclusiveByModule: top(inclusive, busyMs, n),
    selfByFunction: top(selfFunction, busyMs, n),
  };
}

export function formatProfileSummary(title: string, summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const lines = (items: ProfileLine[]) =>
    items.map((l) => `  ${pct(l.share)}  ${l.ms.toFixed(0).padStart(7)} ms  ${l.name}`);
  return [
    `${title}: ${(summary.busyMs / 1000).toFixed(1)} s busy of ${(summary.totalMs / 1000).toFixed(1)} s sampled`,
    'busy time by what it was for:',
    ...lines(summary.byCategory),
    'self time by module:',
    ...lines(summary.selfByModule),
    'time with the module on the stack (inclusive):',
    ...lines(summary.inclusiveByModule),
    'self time by function:',
    ...lines(summary.selfByFunction),
  ].join('\n');
}
