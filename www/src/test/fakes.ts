// Test fakes shared by the UI's tests: a manual clock, a websocket the test
// plays the server for, and a fetch that answers from a table of routes.

import type { Clock } from "../data/refetcher";
import type { SocketLike } from "../data/socket";

/** Timers that run only when the test advances time. */
export class FakeClock implements Clock {
  time = 1_000_000;
  private nextHandle = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + ms, fn });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  pendingCount(): number {
    return this.timers.size;
  }

  /** Move time forward, running each timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | null = null;
      for (const entry of this.timers) {
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }
}

/** A websocket whose server side is the test. */
export class FakeSocket implements SocketLike {
  static instances: FakeSocket[] = [];
  sent: Record<string, unknown>[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static latest(): FakeSocket {
    return FakeSocket.instances[FakeSocket.instances.length - 1];
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
  }

  // -- the server's side ---------------------------------------------------

  open(): void {
    this.onopen?.({});
  }

  /** The connection drops (the server went away). */
  drop(): void {
    this.closed = true;
    this.onerror?.({});
    this.onclose?.({});
  }

  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  /** Answer every command sent so far that has not been answered, with 200. */
  acknowledgeAll(): void {
    for (const message of this.sent.splice(0)) {
      this.receive({ _id: message._id, code: 200, msg: message.cmd === "ping" ? "pong" : "OK" });
    }
  }

  commands(cmd: string): string[] {
    return this.sent.filter((m) => m.cmd === cmd).map((m) => String(m.path ?? ""));
  }
}

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

type Answer = { status?: number; body: unknown } | ((request: RecordedRequest) => { status?: number; body: unknown });

/**
 * A fetch answering from routes: the first route whose pattern the URL
 * (without "api/v2/") starts with, or matches as a RegExp. Unknown URLs are 404.
 */
export class FakeFetch {
  requests: RecordedRequest[] = [];
  private routes: [string | RegExp, Answer][] = [];

  on(pattern: string | RegExp, answer: Answer): this {
    this.routes.unshift([pattern, answer]);
    return this;
  }

  readonly fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    if (init?.signal?.aborted) throw new DOMException("aborted", "AbortError");
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const request: RecordedRequest = {
      url: input,
      method: init?.method ?? "GET",
      headers,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    this.requests.push(request);
    const path = input.replace(/^api\/v2\//, "");
    for (const [pattern, answer] of this.routes) {
      const hit = typeof pattern === "string" ? path === pattern || path.startsWith(`${pattern}?`) : pattern.test(path);
      if (!hit) continue;
      const { status = 200, body } = typeof answer === "function" ? answer(request) : answer;
      return new Response(typeof body === "string" ? body : JSON.stringify(body), {
        status,
        headers: { "Content-Type": "application/json" },
      });
    }
    return new Response(JSON.stringify({ error: `Invalid path: ${path}` }), { status: 404 });
  };

  gets(prefix: string): string[] {
    return this.requests
      .filter((r) => r.method === "GET")
      .map((r) => r.url.replace(/^api\/v2\//, ""))
      .filter((u) => u.startsWith(prefix));
  }
}
