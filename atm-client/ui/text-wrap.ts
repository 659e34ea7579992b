/**
 * Word wrapping for the ATM's sentences. Ink wraps long text itself but keeps the space
 * it broke at, so every continuation line starts with a blank; this breaks at spaces and
 * drops them, splitting only a word longer than the whole line.
 */

/** The width of the text inside the ATM's frame: 64 columns less border and padding. */
export const CONTENT_WIDTH = 60;

export function wrapWords(text: string, width: number = CONTENT_WIDTH): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/).filter((w) => w !== '')) {
      let rest = word;
      while ([...rest].length > width) {
        // A word wider than the line: finish the line, then cut the word.
        if (line !== '') lines.push(line);
        const chars = [...rest];
        lines.push(chars.slice(0, width).join(''));
        rest = chars.slice(width).join('');
        line = '';
      }
      if (rest === '') continue;
      if (line === '') line = rest;
      else if ([...line].length + 1 + [...rest].length <= width) line += ` ${rest}`;
      else {
        lines.push(line);
        line = rest;
      }
    }
    lines.push(line);
  }
  return lines;
}
