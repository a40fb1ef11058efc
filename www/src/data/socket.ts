// The one websocket of the page: `/ws` beside the page, speaking Buildbot's
// startConsuming/stopConsuming protocol with `{k, m}` events.
//
// Invariants:
// - a path is consumed on the server while at least one listener holds it;
//   the first subscribe sends startConsuming, the last unsubscribe stopConsuming;
// - after any (re)connect, every held path is consumed again, and the
//   `reconnected` listeners run so that views refetch what they missed;
// - a lost connection is retried forever with exponential backoff (with
//   jitter), and a connection whose pings go unanswered counts as lost;
// - the socket factory and the timers are constructor arguments, so tests
//   drive the whole life cycle with a fake socket and a fake clock.

import type { WsEvent } from "./types";

export type ConnectionState = "connecting" | "open" | "down";

export interface SocketLike {
  send(data: string): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type EventListener = (event: WsEvent) => void;

export interface EventSocketOptions {
  url: string;
  createSocket?: (url: string) => SocketLike;
  timers?: Timers;
  /** In [0, 1); the jitter of the backoff. */
  random?: () => number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
}

/** `builds/*\/*` matches `builds/12/new`: same number of segments, `*` matches any one. */
export function keyMatches(pattern: string, key: string): boolean {
  const p = pattern.split("/");
  const k = key.split("/");
  if (p.length !== k.length) return false;
  return p.every((segment, i) => segment === "*" || segment === k[i]);
}

/** The websocket URL beside a page URL: http→ws, https→wss, path resolved relative to it. */
export function socketUrl(pageHref: string, path = "ws"): string {
  const url = new URL(path, pageHref);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  return url.toString();
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Pending {
  resolve: (msg: string) => void;
  reject: (error: Error) => void;
}

export class EventSocket {
  state: ConnectionState = "connecting";
  /** Consecutive failed attempts since the last open connection. */
  failures = 0;
  /** When the next attempt is due (ms since epoch), while down. */
  nextAttemptAt: number | null = null;

  private readonly options: Required<Omit<EventSocketOptions, "url" | "createSocket">> & {
    url: string;
    createSocket: (url: string) => SocketLike;
  };
  private ws: SocketLike | null = null;
  private started = false;
  private everOpened = false;
  private nextId = 1;
  private readonly listeners = new Map<string, Set<EventListener>>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly pending = new Map<number, Pending>();
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;

  constructor(options: EventSocketOptions) {
    this.options = {
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      timers: defaultTimers,
      random: Math.random,
      initialDelayMs: 500,
      maxDelayMs: 20_000,
      pingIntervalMs: 25_000,
      pongTimeoutMs: 10_000,
      ...options,
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  stop(): void {
    this.started = false;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      detach(ws);
      ws.close();
    }
    this.failPending("the connection was closed");
  }

  /** Try again now instead of waiting for the backoff (the banner's "retry now"). */
  reconnectNow(): void {
    if (!this.started || this.ws) return;
    this.options.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  /** Listen to the events of `path` (a key pattern such as `builds/*\/*`); returns the unsubscribe. */
  subscribe(path: string, listener: EventListener): () => void {
    let set = this.listeners.get(path);
    if (!set) {
      set = new Set();
      this.listeners.set(path, set);
      if (this.state === "open") this.consume("startConsuming", path);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(path);
      if (!current || !current.delete(listener) || current.size) return;
      this.listeners.delete(path);
      if (this.state === "open") this.consume("stopConsuming", path);
    };
  }

  /** The paths held by at least one listener. */
  consumedPaths(): string[] {
    return [...this.listeners.keys()];
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Called after a reconnect (not the first connect): events may have been missed. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Send a command; resolves with the server's `msg` or rejects with its `error`. */
  command(cmd: string, extra: Record<string, unknown> = {}): Promise<string> {
    const ws = this.ws;
    if (!ws || this.state !== "open") return Promise.reject(new Error("not connected"));
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ cmd, ...extra, _id: id }));
    });
  }

  private consume(cmd: "startConsuming" | "stopConsuming", path: string): void {
    const ws = this.ws;
    this.command(cmd, { path }).catch((error: Error) => {
      // a refusal by the server is worth a warning; a lost connection is not
      if (this.ws === ws && this.state === "open") console.warn(`websocket: ${cmd} ${path}: ${error.message}`);
    });
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }

  private connect(): void {
    this.nextAttemptAt = null;
    this.setState(this.everOpened || this.failures ? "down" : "connecting");
    let ws: SocketLike;
    try {
      ws = this.options.createSocket(this.options.url);
    } catch {
      this.lost();
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.opened(ws);
    ws.onmessage = (event) => this.received(event.data);
    ws.onclose = () => {
      if (this.ws === ws) this.lost();
    };
    ws.onerror = () => {
      // a close event always follows
    };
  }

  private opened(ws: SocketLike): void {
    if (this.ws !== ws) return;
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.failures = 0;
    this.setState("open");
    for (const path of this.listeners.keys()) this.consume("startConsuming", path);
    this.schedulePing();
    if (reconnected) for (const listener of [...this.reconnectListeners]) listener();
  }

  private received(data: unknown): void {
    let message: { _id?: number; code?: number; msg?: string; error?: string; k?: string; m?: unknown };
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    if (typeof message._id === "number") {
      const pending = this.pending.get(message._id);
      if (!pending) return;
      this.pending.delete(message._id);
      if (message.code === 200) pending.resolve(message.msg ?? "OK");
      else pending.reject(new Error(message.error ?? `code ${message.code}`));
      return;
    }
    if (typeof message.k !== "string") return;
    const event: WsEvent = { k: message.k, m: (message.m ?? {}) as Record<string, unknown> };
    for (const [path, set] of this.listeners) {
      if (!keyMatches(path, event.k)) continue;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch (error) {
          console.error(`websocket listener for ${path} failed`, error);
        }
      }
    }
  }

  private lost(): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) detach(ws);
    this.clearTimers();
    this.failPending("the connection was lost");
    if (!this.started) return;
    const delay = this.backoff(this.failures);
    this.failures += 1;
    this.nextAttemptAt = Date.now() + delay;
    this.retryTimer = this.options.timers.setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    // emitted even when already down: listeners show the new attempt time
    this.state = "down";
    for (const listener of [...this.stateListeners]) listener(this.state);
  }

  /** The wait before attempt number `failures` (0-based): doubling, capped, ±25% jitter. */
  backoff(failures: number): number {
    const { initialDelayMs, maxDelayMs, random } = this.options;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(failures, 30));
    return Math.round(base * (0.75 + 0.5 * random()));
  }

  private schedulePing(): void {
    const { timers, pingIntervalMs, pongTimeoutMs } = this.options;
    this.pingTimer = timers.setTimeout(() => {
      this.pingTimer = null;
      const ws = this.ws;
      if (!ws) return;
      this.pongTimer = timers.setTimeout(() => {
        // no answer: the connection is dead even if the browser has not noticed
        this.pongTimer = null;
        if (this.ws === ws) {
          ws.close();
          this.lost();
        }
      }, pongTimeoutMs);
      this.command("ping")
        .then(() => {
          if (this.ws !== ws) return;
          timers.clearTimeout(this.pongTimer);
          this.pongTimer = null;
          this.schedulePing();
        })
        .catch(() => {
          // lost() has cleaned up already
        });
    }, pingIntervalMs);
  }

  private clearTimers(): void {
    const { timers } = this.options;
    for (const timer of [this.retryTimer, this.pingTimer, this.pongTimer]) {
      if (timer !== null) timers.clearTimeout(timer);
    }
    this.retryTimer = this.pingTimer = this.pongTimer = null;
  }

  private failPending(reason: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new Error(reason));
  }
}

function detach(ws: SocketLike): void {
  ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
}
