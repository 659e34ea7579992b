import { create as createQr } from 'qrcode';

/**
 * The two-factor QR code drawn for a terminal, small enough for 80×24: error correction L
 * (the fewest modules for the URI), two modules per character row with half blocks, and a
 * quiet zone of two modules, or one when two would not fit.
 *
 * Characters draw the LIGHT modules and blanks leave the dark ones: drawn white on black
 * that is a normal black-on-white code on any terminal, and without colours it is still
 * right on the usual light-on-dark terminal (the convention of `qrencode -t utf8`).
 */

export interface QrDrawing {
  /** One string per character row, all the same width. */
  lines: string[];
  /** Width and height in character cells. */
  columns: number;
  rows: number;
  /** Modules per side of the symbol itself, without the quiet zone. */
  modules: number;
  quietZone: number;
}

/** Quiet zones tried, widest first: the standard asks for 4, scanners read 2 and usually 1. */
const QUIET_ZONES = [2, 1] as const;

// Index: top module light (2) + bottom module light (1).
const HALF_BLOCKS = [' ', '▄', '▀', '█'] as const;

/** The code for `uri` within `maxColumns`×`maxRows` cells, or null when it cannot fit there. */
export function drawQr(uri: string, maxColumns: number, maxRows: number): QrDrawing | null {
  let symbol: ReturnType<typeof createQr>;
  try {
    symbol = createQr(uri, { errorCorrectionLevel: 'L' });
  } catch {
    return null; // too long for any QR version
  }
  const { size } = symbol.modules;
  for (const quietZone of QUIET_ZONES) {
    const side = size + 2 * quietZone;
    const rows = Math.ceil(side / 2);
    if (side > maxColumns || rows > maxRows) continue;
    // Dark inside the symbol where the matrix says so; the quiet zone is light; below the
    // last module row (an odd side) nothing is drawn.
    const light = (row: number, col: number): boolean => {
      if (row >= side) return false;
      const r = row - quietZone;
      const c = col - quietZone;
      if (r < 0 || c < 0 || r >= size || c >= size) return true;
      return !symbol.modules.get(r, c);
    };
    const lines: string[] = [];
    for (let row = 0; row < side; row += 2) {
      let line = '';
      for (let col = 0; col < side; col++) {
        line += HALF_BLOCKS[(light(row, col) ? 2 : 0) + (light(row + 1, col) ? 1 : 0)];
      }
      lines.push(line);
    }
    return { lines, columns: side, rows, modules: size, quietZone };
  }
  return null;
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP", easier to type into an app by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}
