import { useLayoutEffect, useRef } from 'react';

/**
 * A ref that is true while the component is on screen. Layout effects run as the screen
 * is committed or removed; a passive effect would leave a just-replaced screen looking
 * mounted for a few more milliseconds, long enough for a late answer to navigate away
 * from whatever replaced it.
 */
export function useMounted(): { readonly current: boolean } {
  const mounted = useRef(true);
  useLayoutEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  return mounted;
}
