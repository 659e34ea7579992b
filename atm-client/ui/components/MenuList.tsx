import { Box, Text } from 'ink';

/** A numbered list with the highlighted item marked. */
export function MenuList(props: { labels: readonly string[]; selected: number }) {
  return (
    <Box flexDirection="column">
      {props.labels.map((label, index) => {
        const active = index === props.selected;
        return (
          <Text key={label} {...(active ? { color: 'green', bold: true } : {})}>
            {active ? '›' : ' '} {index + 1} {label}
          </Text>
        );
      })}
    </Box>
  );
}
