import { useEffect, useState } from 'react';
import type { HistoryEntry } from '../../../protocol/index.js';
import type { BankSession } from '../../client/types.js';
import { cursorOf, FIRST_PAGE, HISTORY_PAGE_SIZE, nextPage, type Pager, previousPage } from '../history-view.js';
import { MENU_ROUTE, type Nav } from '../screens/screen-props.js';
import { useRequest } from './use-request.js';

export interface HistoryPage {
  entries: HistoryEntry[];
  next: string | null;
}

/** One page of the mini-statement at a time, newest first; `next` pages back in time. */
export function useHistory(
  session: BankSession,
  nav: Nav,
): {
  pageNumber: number;
  /** Null while the page is being fetched. */
  page: HistoryPage | null;
  pending: boolean;
  older: () => void;
  newer: () => void;
} {
  const { pending, run } = useRequest();
  const [pager, setPager] = useState<Pager>(FIRST_PAGE);
  const [page, setPage] = useState<HistoryPage | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a page is fetched when the pager moves, nothing else
  useEffect(() => {
    const before = cursorOf(pager);
    const query = before === undefined ? { limit: HISTORY_PAGE_SIZE } : { limit: HISTORY_PAGE_SIZE, before };
    void run(() => session.history(query)).then((outcome) => {
      if (!outcome) return;
      if (outcome.ok) setPage(outcome.value);
      else nav.fail(outcome.error, MENU_ROUTE);
    });
  }, [pager]);

  return {
    pageNumber: pager.page + 1,
    page,
    pending,
    older: () => {
      if (pending || !page?.next) return;
      setPage(null);
      setPager(nextPage(pager, page.next));
    },
    newer: () => {
      if (pending || page === null || pager.page === 0) return;
      setPage(null);
      setPager(previousPage(pager));
    },
  };
}
