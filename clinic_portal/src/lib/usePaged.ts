import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { problemDetail } from "./format";
import type { Outcome } from "./outcome";

/** The API's largest page (MAX_PAGE_SIZE in api/paging.py). */
const MAX_LIMIT = 200;

export type Paged<T> = {
  items: T[];
  status: "loading" | "ready" | "error";
  /** The plain-language reason of the last failure ("" when none). */
  error: string;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  /** Load the list again from its first page, after `added` items were added to it. */
  reload: (added?: number) => void;
};

/**
 * A list the API serves in pages (`limit`/`offset`): the first page on mount (and whenever
 * `key` changes), the next one on `loadMore()`. `key` null loads nothing. `reload()` loads
 * again as many items as are shown (at least a page), keeping the shown ones meanwhile.
 */
export function usePaged<T>(
  key: string | null,
  fetchPage: (offset: number, limit: number) => Promise<Outcome<T[]>>,
  pageSize = 20,
): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [status, setStatus] = useState<Paged<T>["status"]>(key === null ? "ready" : "loading");
  const [error, setError] = useState("");
  const [hasMore, setHasMore] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  // A reload asks for the first `reload.size` items again; bumping `reloads` starts it.
  const [reload, setReload] = useState({ count: 0, size: pageSize });
  const fetchRef = useRef(fetchPage);
  useLayoutEffect(() => {
    fetchRef.current = fetchPage;
  });
  const generation = useRef(0);

  // A new key: start over (state adjusted while rendering, not in an effect).
  const [shownKey, setShownKey] = useState(key);
  if (shownKey !== key) {
    setShownKey(key);
    setItems([]);
    setHasMore(false);
    setError("");
    setLoadingMore(false);
    setStatus(key === null ? "ready" : "loading");
  }

  useEffect(() => {
    const mine = ++generation.current;
    if (key === null) return;
    const limit = Math.max(pageSize, reload.size);
    let live = true;
    void fetchRef.current(0, limit).then((result) => {
      if (!live || mine !== generation.current) return;
      setLoadingMore(false);
      if (result.ok) {
        setItems(result.value);
        setHasMore(result.value.length === limit);
        setError("");
        setStatus("ready");
      } else {
        setError(problemDetail(result.problem, result.status));
        setStatus((shown) => (shown === "ready" ? "ready" : "error"));
      }
    });
    return () => {
      live = false;
    };
  }, [key, pageSize, reload]);

  const loadMore = useCallback(() => {
    const mine = generation.current;
    setLoadingMore(true);
    void fetchRef.current(items.length, pageSize).then((result) => {
      if (mine !== generation.current) return;
      setLoadingMore(false);
      if (result.ok) {
        setItems((prev) => [...prev, ...result.value]);
        setHasMore(result.value.length === pageSize);
        setError("");
      } else {
        setError(problemDetail(result.problem, result.status));
      }
    });
  }, [items.length, pageSize]);

  const shown = items.length;
  const reloadList = useCallback(
    (added = 1) => {
      // The shown ones and the added ones: what was added does not push shown items off the list.
      setReload((prev) => ({ count: prev.count + 1, size: Math.min(MAX_LIMIT, shown + Math.max(0, added)) }));
    },
    [shown],
  );

  return { items, status, error, hasMore, loadingMore, loadMore, reload: reloadList };
}
