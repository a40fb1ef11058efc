// React hooks over the data client. Views read with `useQuery`/`useList`
// (a request, aborted when the view goes away or its key changes) and stay
// live by naming the event paths that concern them: each matching event
// either patches the data in place (`patch`) or triggers a throttled refetch.
// After a websocket reconnect every live query refetches, since events may
// have been missed while the connection was down.

import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { Refetcher } from "./refetcher";
import { ApiError, type Params, type RestClient } from "./rest";
import type { ConnectionState, EventSocket } from "./socket";
import type { Collection, UiConfig, WsEvent } from "./types";

export interface Services {
  rest: RestClient;
  socket: EventSocket;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error("useServices outside a ServicesContext provider");
  return services;
}

export interface ConfigState {
  config: UiConfig;
  /** Fetch /config again (after login or logout). */
  reload: () => Promise<void>;
}

export const ConfigContext = createContext<ConfigState | null>(null);

export function useConfig(): ConfigState {
  const state = useContext(ConfigContext);
  if (!state) throw new Error("useConfig outside a ConfigContext provider");
  return state;
}

export interface QueryOptions<T> {
  /** Event paths (`builds/*\/*`) consumed while the query is mounted. */
  events?: string[];
  /**
   * The data after an event, computed locally. Return the same object to
   * ignore the event, or undefined to refetch instead. Without `patch`,
   * every event refetches.
   */
  patch?: (data: T, event: WsEvent) => T | undefined;
  /** The least time between two refetches caused by events; 300 ms by default. */
  throttleMs?: number;
}

export interface QueryState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  refetch: () => void;
}

type Loader<T> = (rest: RestClient, signal: AbortSignal) => Promise<T>;

/**
 * The data `load` gives, keyed by `key` (null: nothing to load). A new key
 * drops the old data and aborts its request; the same key keeps showing the
 * last data while a refetch runs.
 */
export function useResource<T>(key: string | null, load: Loader<T>, options: QueryOptions<T> = {}): QueryState<T> {
  const { rest, socket } = useServices();
  const [state, setState] = useState<{ key: string | null; data?: T; error: ApiError | null; loading: boolean }>({
    key,
    error: null,
    loading: key !== null,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const dataRef = useRef<T | undefined>(undefined);
  const refetcherRef = useRef<Refetcher | null>(null);
  const eventsKey = (options.events ?? []).join("\n");

  useEffect(() => {
    if (key === null) {
      dataRef.current = undefined;
      setState({ key, error: null, loading: false });
      return;
    }
    let disposed = false;
    let controller: AbortController | null = null;
    setState((s) => (s.key === key ? { ...s, loading: true } : { key, error: null, loading: true }));
    if (state.key !== key) dataRef.current = undefined;

    const run = async () => {
      const mine = new AbortController();
      controller = mine;
      try {
        const data = await loadRef.current(rest, mine.signal);
        if (disposed) return;
        dataRef.current = data;
        setState({ key, data, error: null, loading: false });
      } catch (error) {
        if (disposed || mine.signal.aborted) return;
        const apiError = error instanceof ApiError ? error : new ApiError(0, String((error as Error)?.message ?? error));
        setState((s) => ({ ...s, key, error: apiError, loading: false }));
      }
    };
    const refetcher = new Refetcher(run, optionsRef.current.throttleMs ?? 300);
    refetcherRef.current = refetcher;
    refetcher.request();

    const onEvent = (event: WsEvent) => {
      const patch = optionsRef.current.patch;
      const current = dataRef.current;
      if (patch && current !== undefined) {
        const next = patch(current, event);
        if (next === current) return;
        if (next !== undefined) {
          dataRef.current = next;
          setState((s) => ({ ...s, data: next }));
          return;
        }
      }
      refetcher.request();
    };
    const unsubscribes = eventsKey ? eventsKey.split("\n").map((path) => socket.subscribe(path, onEvent)) : [];
    if (eventsKey) unsubscribes.push(socket.onReconnect(() => refetcher.request()));
    return () => {
      disposed = true;
      controller?.abort();
      refetcher.cancel();
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
    // state.key is read only to know whether the key changed
  }, [key, eventsKey, rest, socket]);

  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : null,
    loading: current ? state.loading : key !== null,
    refetch: () => refetcherRef.current?.request(),
  };
}

function queryKey(path: string | null, params?: Params): string | null {
  return path === null ? null : `${path}?${JSON.stringify(params ?? {})}`;
}

/** GET /api/v2/<path> as raw JSON. */
export function useQuery<T>(path: string | null, params?: Params, options?: QueryOptions<T>): QueryState<T> {
  return useResource<T>(queryKey(path, params), (rest, signal) => rest.get<T>(path!, params, signal), options);
}

/** GET a collection: `{items, total}`. */
export function useList<T>(
  path: string | null,
  params?: Params,
  options?: QueryOptions<Collection<T>>,
): QueryState<Collection<T>> {
  return useResource<Collection<T>>(
    queryKey(path, params),
    (rest, signal) => rest.list<T>(path!, params, signal),
    options,
  );
}

/** Run `handler` for each event of `paths` while mounted. */
export function useEvents(paths: string[], handler: (event: WsEvent) => void): void {
  const { socket } = useServices();
  const handlerRef = useRef(handler);
  handlerRef.current = handler;
  const key = paths.join("\n");
  useEffect(() => {
    if (!key) return;
    const unsubscribes = key.split("\n").map((path) => socket.subscribe(path, (event) => handlerRef.current(event)));
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }, [key, socket]);
}

export function useConnectionState(): ConnectionState {
  const { socket } = useServices();
  return useSyncExternalStore(
    (notify) => socket.onState(notify),
    () => socket.state,
  );
}

// One shared ticker for every live duration on the page.
const tickListeners = new Set<() => void>();
let tickTimer: ReturnType<typeof setInterval> | null = null;
let tickNow = Date.now();

function subscribeTick(listener: () => void): () => void {
  tickListeners.add(listener);
  if (tickTimer === null) {
    tickNow = Date.now();
    tickTimer = setInterval(() => {
      tickNow = Date.now();
      for (const l of [...tickListeners]) l();
    }, 1000);
  }
  return () => {
    tickListeners.delete(listener);
    if (!tickListeners.size && tickTimer !== null) {
      clearInterval(tickTimer);
      tickTimer = null;
    }
  };
}

/** Seconds since the epoch, updated every second while a component uses it. */
export function useNow(): number {
  const ms = useSyncExternalStore(subscribeTick, () => tickNow);
  return Math.floor(ms / 1000);
}
