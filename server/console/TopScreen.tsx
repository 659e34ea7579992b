import { Box, Text } from 'ink';
import { TOP_WIDTH, type TopLine } from './top-view.js';

/** Draws the lines top-view.ts laid out; layout and truncation stay in the pure code. */
export function TopScreen(props: { lines: readonly TopLine[] }) {
  return (
    <Box flexDirection="column" width={TOP_WIDTH}>
      {props.lines.map((line, row) => (
        // Rows have no identity beyond their place on the screen.
        // biome-ignore lint/suspicious/noArrayIndexKey: a screen row is its index
        <Text key={row} wrap="truncate-end">
          {line.length === 0
            ? ' '
            : line.map((seg, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a segment is its place in the row
                <Text key={i} {...(seg.color ? { color: seg.color } : {})} bold={seg.bold ?? false}>
                  {seg.text}
                </Text>
              ))}
        </Text>
      ))}
    </Box>
  );
}
