import { useRef, useState } from 'react';
import { indexForKey, moveSelection } from '../menu-model.js';
import { useKeys } from './use-keys.js';

export interface MenuHandlers {
  onChoose: (index: number) => void;
  onBack?: () => void;
  isActive?: boolean;
}

/** Arrow keys move the highlight, Enter or a number key chooses, Esc goes back. */
export function useMenu(length: number, handlers: MenuHandlers): number {
  const [selected, setSelected] = useState(0);
  const current = useRef(0);

  useKeys((input, key) => {
    if (key.escape) {
      handlers.onBack?.();
      return;
    }
    if (key.upArrow || key.downArrow) {
      current.current = moveSelection(current.current, key.upArrow ? -1 : 1, length);
      setSelected(current.current);
      return;
    }
    if (key.return) {
      handlers.onChoose(current.current);
      return;
    }
    const index = indexForKey(input, length);
    if (index !== null) {
      current.current = index;
      setSelected(index);
      handlers.onChoose(index);
    }
  }, handlers.isActive ?? true);

  return selected;
}
