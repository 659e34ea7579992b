import { Text, type TextProps } from 'ink';
import { CONTENT_WIDTH, wrapWords } from '../text-wrap.js';

/** A sentence or two, wrapped at spaces to the frame's width (no line starts with a blank). */
export function Para(props: Omit<TextProps, 'children' | 'wrap'> & { children: string; width?: number }) {
  const { children, width, ...style } = props;
  return <Text {...style}>{wrapWords(children, width ?? CONTENT_WIDTH).join('\n')}</Text>;
}
