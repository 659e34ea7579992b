import { useCallback, useRef, useState } from 'react';
import { applyKey, type FieldSpec, type FormState, initialForm } from '../text-edit.js';
import { useKeys } from './use-keys.js';

export interface FormHandlers {
  onSubmit: (values: Record<string, string>) => void;
  onCancel: () => void;
  /** Called on every edit, e.g. to clear an old validation message. */
  onEdit?: () => void;
  isActive?: boolean;
  /** Values the form starts with (read once, when it mounts). */
  initial?: Record<string, string> | undefined;
  /** The field the cursor starts in (default the first). */
  initialFocus?: number;
}

/** A keyboard form over the pure `applyKey` rules. */
export function useForm(
  fields: readonly FieldSpec[],
  handlers: FormHandlers,
): { state: FormState; reset: (values?: Record<string, string>) => void } {
  const [state, setState] = useState(() => ({
    ...initialForm(fields, handlers.initial),
    focus: handlers.initialFocus ?? 0,
  }));
  // Several keys can arrive before a re-render; each one must see the previous one's edit.
  const current = useRef(state);

  useKeys((input, key) => {
    const { state: next, event } = applyKey(fields, current.current, input, key);

    if (next !== current.current) {
      current.current = next;
      setState(next);
      handlers.onEdit?.();
    }
    if (event === 'submit') handlers.onSubmit(next.values);
    if (event === 'cancel') handlers.onCancel();
  }, handlers.isActive ?? true);

  const reset = useCallback(
    (values?: Record<string, string>) => {
      const next = initialForm(fields, values);
      current.current = next;
      setState(next);
    },
    [fields],
  );

  return { state, reset };
}
