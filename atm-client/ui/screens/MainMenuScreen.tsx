import { Box, Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { MenuList } from '../components/MenuList.js';
import { Para } from '../components/Para.js';
import { useMenu } from '../hooks/use-menu.js';
import { type MainAction, type MenuContext, mainMenu } from '../menu-model.js';

export const REMOTE_NOTE =
  'Cash needs an enrolled ATM: this session is not at a bank ATM, so no deposits or withdrawals.';

function greeting(props: MenuContext & { user: string }): string {
  if (props.teller === undefined) return `Hello, ${props.user}. What would you like to do?`;
  if (props.teller.customer === null) return `Hello, ${props.user}. Who is next at the counter?`;
  return `What would ${props.teller.customer} like to do?`;
}

export function MainMenuScreen(
  props: MenuContext & {
    user: string;
    banner?: string | undefined;
    onChoose: (action: MainAction) => void;
  },
) {
  const items = mainMenu(props);
  const selected = useMenu(items.length, {
    onChoose: (index) => {
      const item = items[index];
      if (item) props.onChoose(item.action);
    },
  });
  return (
    <Frame title="Main menu" hints={['↑↓ move', 'Enter select', `1–${items.length} choose`]}>
      {props.banner ? (
        <Box marginBottom={1}>
          <Para color="green">{props.banner}</Para>
        </Box>
      ) : null}
      <Text>{greeting(props)}</Text>
      <Box marginTop={1}>
        <MenuList labels={items.map((item) => item.label)} selected={selected} />
      </Box>
      {props.remote ? (
        <Box marginTop={1}>
          <Para color="yellow">{REMOTE_NOTE}</Para>
        </Box>
      ) : null}
    </Frame>
  );
}
