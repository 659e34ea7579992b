import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface TextLine {
  /** The line without its '\n'. */
  text: string;
  /** 1-based line number in the file. */
  lineNo: number;
  /** True for a last line with no '\n' after it (a torn or truncated write). */
  torn: boolean;
}

/** The lines of a text file, streamed, reading from byte `start` (default 0). */
export async function* readLines(path: string, start = 0): AsyncGenerator<TextLine> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 0;
  for await (const chunk of createReadStream(path, { start, highWaterMark: 1 << 20 })) {
    const text = rest + decoder.write(chunk as Buffer);
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) yield { text: part, lineNo: ++lineNo, torn: false };
  }
  rest += decoder.end();
  if (rest.length > 0) yield { text: rest, lineNo: ++lineNo, torn: true };
}
