import { Box, Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { MenuList } from '../components/MenuList.js';
import { useMenu } from '../hooks/use-menu.js';
import { MAIN_MENU, type MainAction } from '../menu-model.js';

export function MainMenuScreen(props: {
  user: string;
  banner?: string | undefined;
  onChoose: (action: MainAction) => void;
}) {
  const selected = useMenu(MAIN_MENU.length, {
    onChoose: (index) => {
      const item = MAIN_MENU[index];
      if (item) props.onChoose(item.action);
    },
  });
  return (
    <Frame title="Main menu" hints={['↑↓ move', 'Enter select', '1–8 choose']}>
      {props.banner ? (
        <Box marginBottom={1}>
          <Text color="green">{props.banner}</Text>
        </Box>
      ) : null}
      <Text>Hello, {props.user}. What would you like to do?</Text>
      <Box marginTop={1}>
        <MenuList labels={MAIN_MENU.map((item) => item.label)} selected={selected} />
      </Box>
    </Frame>
  );
}
