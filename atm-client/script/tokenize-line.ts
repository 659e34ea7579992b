/** A word of a script line: its expanded text, and whether it was written in quotes. */
export interface Token {
  text: string;
  quoted: boolean;
}

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; message: string };

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Splits one line into words. Words are separated by blanks; `"..."` keeps blanks and `#`
 * (with `\"` and `\\` inside); a `#` that starts a word begins a comment. `$NAME` and
 * `${NAME}` expand from `vars` inside and outside quotes; `$$` is a literal `$`.
 */
export function tokenizeLine(line: string, vars: Readonly<Record<string, string | undefined>>): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\r') {
      i += 1;
      continue;
    }
    if (c === '#') break;
    let text = '';
    let quoted = false;
    // Inside a pair of quotes: blanks and `#` are text, and `\` escapes `"` or `\`.
    let inQuotes = false;
    while (i < line.length) {
      const ch = line[i] as string;
      if (!inQuotes && (ch === ' ' || ch === '\t' || ch === '\r')) break;
      if (ch === '"') {
        quoted = true;
        inQuotes = !inQuotes;
        i += 1;
        continue;
      }
      if (inQuotes && ch === '\\') {
        const next = line[i + 1];
        if (next !== '"' && next !== '\\') return { ok: false, message: 'inside quotes, \\ may only escape " or \\' };
        text += next;
        i += 2;
        continue;
      }
      if (ch === '$') {
        const expanded = expand(line, i, vars);
        if (!expanded.ok) return expanded;
        text += expanded.text;
        i = expanded.end;
        continue;
      }
      text += ch;
      i += 1;
    }
    if (inQuotes) return { ok: false, message: 'unclosed quote' };
    tokens.push({ text, quoted });
  }
  return { ok: true, tokens };
}

type Expansion = { ok: true; text: string; end: number } | { ok: false; message: string };

function expand(line: string, at: number, vars: Readonly<Record<string, string | undefined>>): Expansion {
  const next = line[at + 1] ?? '';
  if (next === '$') return { ok: true, text: '$', end: at + 2 };
  let name = '';
  let end: number;
  if (next === '{') {
    const close = line.indexOf('}', at + 2);
    if (close < 0) return { ok: false, message: 'unclosed ${' };
    name = line.slice(at + 2, close);
    end = close + 1;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { ok: false, message: `bad variable name \${${name}}` };
  } else {
    if (!NAME_START.test(next)) return { ok: false, message: 'a lone $ (write $$ for a dollar sign)' };
    end = at + 1;
    while (end < line.length && NAME_CHAR.test(line[end] as string)) end += 1;
    name = line.slice(at + 1, end);
  }
  const value = vars[name];
  if (value === undefined) return { ok: false, message: `variable $${name} is not set` };
  return { ok: true, text: value, end };
}
