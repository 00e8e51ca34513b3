import { useCallback, useEffect, useRef, useState } from "react";
import { problemDetail } from "./format";
import type { Outcome } from "./outcome";

export type Paged<T> = {
  items: T[];
  status: "loading" | "ready" | "error";
  /** The plain-language reason of the last failure ("" when none). */
  error: string;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
};

/**
 * A list the API serves in pages (`limit`/`offset`): the first page on mount (and whenever
 * `key` changes), the next one on `loadMore()`. `key` null loads nothing.
 */
export function usePaged<T>(
  key: string | null,
  fetchPage: (offset: number, limit: number) => Promise<Outcome<T[]>>,
  pageSize = 20,
): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [status, setStatus] = useState<Paged<T>["status"]>("loading");
  const [error, setError] = useState("");
  const [hasMore, setHasMore] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    setItems([]);
    setHasMore(false);
    setError("");
    if (key === null) {
      setStatus("ready");
      return;
    }
    setStatus("loading");
    void fetchRef.current(0, pageSize).then((result) => {
      if (mine !== generation.current) return;
      if (result.ok) {
        setItems(result.value);
        setHasMore(result.value.length === pageSize);
        setStatus("ready");
      } else {
        setError(problemDetail(result.problem, result.status));
        setStatus("error");
      }
    });
    return () => {
      generation.current++;
    };
  }, [key, pageSize]);

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

  return { items, status, error, hasMore, loadingMore, loadMore };
}
