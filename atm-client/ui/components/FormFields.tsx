import { Box, Text } from 'ink';
import { displayValue, type FieldSpec, type FormState } from '../text-edit.js';

/** A form's fields with the focused one marked and a block cursor after its text. */
export function FormFields(props: { fields: readonly FieldSpec[]; state: FormState; disabled?: boolean }) {
  const width = Math.max(...props.fields.map((field) => field.label.length));
  return (
    <Box flexDirection="column">
      {props.fields.map((field, index) => {
        const focused = !props.disabled && index === props.state.focus;
        const value = displayValue(field, props.state.values[field.name] ?? '');
        return (
          <Text key={field.name}>
            <Text {...(focused ? { color: 'green' } : { dimColor: true })}>
              {focused ? '›' : ' '} {field.label.padEnd(width)}
            </Text>
            {'  '}
            {value}
            {focused ? <Text inverse> </Text> : null}
          </Text>
        );
      })}
    </Box>
  );
}
