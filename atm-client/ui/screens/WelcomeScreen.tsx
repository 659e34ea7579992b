import { Box, Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { MenuList } from '../components/MenuList.js';
import { Para } from '../components/Para.js';
import { useMenu } from '../hooks/use-menu.js';
import { WELCOME_MENU, type WelcomeAction } from '../menu-model.js';

export function WelcomeScreen(props: { banner?: string | undefined; onChoose: (action: WelcomeAction) => void }) {
  const selected = useMenu(WELCOME_MENU.length, {
    onChoose: (index) => {
      const item = WELCOME_MENU[index];
      if (item) props.onChoose(item.action);
    },
  });
  return (
    <Frame title="Welcome" hints={['↑↓ move', 'Enter select', '1–3 choose']}>
      {props.banner ? (
        <Box marginBottom={1}>
          <Para color="green">{props.banner}</Para>
        </Box>
      ) : null}
      <Text>Welcome to Secure ATM.</Text>
      <Box marginTop={1}>
        <MenuList labels={WELCOME_MENU.map((item) => item.label)} selected={selected} />
      </Box>
    </Frame>
  );
}
