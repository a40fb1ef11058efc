import { beforeEach, describe, expect, it, vi } from "vitest";
import { FakeClock, FakeSocket } from "../test/fakes";
import { EventSocket, keyMatches, socketUrl } from "./socket";
import type { WsEvent } from "./types";

function makeSocket(clock: FakeClock) {
  return new EventSocket({
    url: "ws://127.0.0.1:8010/ws",
    createSocket: (url) => new FakeSocket(url),
    timers: clock,
    random: () => 0.5, // no jitter
    initialDelayMs: 500,
    maxDelayMs: 4000,
    pingIntervalMs: 25_000,
    pongTimeoutMs: 10_000,
  });
}

beforeEach(() => {
  FakeSocket.instances = [];
});

describe("keyMatches and socketUrl", () => {
  it("matches keys segment by segment with * for any one segment", () => {
    expect(keyMatches("builds/*/*", "builds/12/new")).toBe(true);
    expect(keyMatches("builds/12/*", "builds/13/new")).toBe(false);
    expect(keyMatches("builds/*/*", "builds/12/properties/update")).toBe(false);
    expect(keyMatches("logs/5/append", "logs/5/append")).toBe(true);
  });

  it("puts the socket beside the page, following its protocol", () => {
    expect(socketUrl("http://127.0.0.1:8010/#/builds/3")).toBe("ws://127.0.0.1:8010/ws");
    expect(socketUrl("https://ci.example.org/marid/?x#/")).toBe("wss://ci.example.org/marid/ws");
  });
});

describe("EventSocket", () => {
  it("consumes a path once for all its listeners and stops with the last one", () => {
    const clock = new FakeClock();
    const socket = makeSocket(clock);
    socket.start();
    const ws = FakeSocket.latest();
    ws.open();
    const a = socket.subscribe("builds/*/*", () => {});
    const b = socket.subscribe("builds/*/*", () => {});
    expect(ws.commands("startConsuming")).toEqual(["builds/*/*"]);
    a();
    expect(ws.commands("stopConsuming")).toEqual([]);
    b();
    expect(ws.commands("stopConsuming")).toEqual(["builds/*/*"]);
  });

  it("sends subscriptions made before the connection opens once it opens", () => {
    const socket = makeSocket(new FakeClock());
    socket.subscribe("workers/*/*", () => {});
    socket.start();
    const ws = FakeSocket.latest();
    expect(ws.sent).toEqual([]);
    ws.open();
    expect(ws.commands("startConsuming")).toEqual(["workers/*/*"]);
  });

  it("delivers events to the listeners whose path matches the key", () => {
    const socket = makeSocket(new FakeClock());
    socket.start();
    FakeSocket.latest().open();
    const builds: string[] = [];
    const logs: WsEvent[] = [];
    socket.subscribe("builds/*/*", (e) => builds.push(e.k));
    socket.subscribe("logs/7/*", (e) => logs.push(e));
    const ws = FakeSocket.latest();
    ws.receive({ k: "builds/12/finished", m: { buildid: 12, results: 0 } });
    ws.receive({ k: "logs/7/append", m: { logid: 7, first_line: 10, last_line: 19, num_lines: 20 } });
    ws.receive({ k: "logs/8/append", m: { logid: 8 } });
    expect(builds).toEqual(["builds/12/finished"]);
    expect(logs).toEqual([{ k: "logs/7/append", m: { logid: 7, first_line: 10, last_line: 19, num_lines: 20 } }]);
  });

  it("reconnects with doubling delays, shows the connection down meanwhile, and resubscribes", () => {
    const clock = new FakeClock();
    const socket = makeSocket(clock);
    const states: string[] = [];
    socket.onState((s) => states.push(s));
    const reconnects = vi.fn();
    socket.onReconnect(reconnects);
    socket.subscribe("builds/*/*", () => {});
    socket.subscribe("logs/3/*", () => {});
    socket.start();
    FakeSocket.latest().open();
    expect(socket.state).toBe("open");
    expect(reconnects).not.toHaveBeenCalled();

    FakeSocket.latest().drop();
    expect(socket.state).toBe("down");
    expect(FakeSocket.instances).toHaveLength(1);
    clock.advance(499);
    expect(FakeSocket.instances).toHaveLength(1);
    clock.advance(1);
    expect(FakeSocket.instances).toHaveLength(2); // first retry after 500 ms

    FakeSocket.latest().drop(); // the retry fails too
    clock.advance(999);
    expect(FakeSocket.instances).toHaveLength(2);
    clock.advance(1);
    expect(FakeSocket.instances).toHaveLength(3); // then 1 s

    FakeSocket.latest().drop();
    clock.advance(2000);
    expect(FakeSocket.instances).toHaveLength(4); // then 2 s
    expect(socket.state).toBe("down");

    const ws = FakeSocket.latest();
    ws.open();
    expect(socket.state).toBe("open");
    expect(ws.commands("startConsuming").sort()).toEqual(["builds/*/*", "logs/3/*"]);
    expect(reconnects).toHaveBeenCalledTimes(1);
    expect(states).toContain("down");
    expect(states[states.length - 1]).toBe("open");

    // after a successful connection the backoff starts again from the beginning
    ws.drop();
    clock.advance(500);
    expect(FakeSocket.instances).toHaveLength(5);
  });

  it("caps the backoff", () => {
    const socket = makeSocket(new FakeClock());
    expect([0, 1, 2, 3, 4, 10].map((n) => socket.backoff(n))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
  });

  it("does not resubscribe paths that were dropped while down", () => {
    const clock = new FakeClock();
    const socket = makeSocket(clock);
    socket.start();
    FakeSocket.latest().open();
    const unsubscribe = socket.subscribe("builds/*/*", () => {});
    socket.subscribe("workers/*/*", () => {});
    FakeSocket.latest().drop();
    unsubscribe();
    clock.advance(500);
    FakeSocket.latest().open();
    expect(FakeSocket.latest().commands("startConsuming")).toEqual(["workers/*/*"]);
  });

  it("treats unanswered pings as a lost connection", async () => {
    const clock = new FakeClock();
    const socket = makeSocket(clock);
    socket.start();
    const ws = FakeSocket.latest();
    ws.open();
    clock.advance(25_000);
    expect(ws.commands("ping")).toHaveLength(1);
    ws.acknowledgeAll(); // pong
    await Promise.resolve();
    clock.advance(25_000);
    expect(ws.commands("ping")).toHaveLength(1); // a second ping (the first was answered and removed)
    clock.advance(10_000); // no pong this time
    expect(ws.closed).toBe(true);
    expect(socket.state).toBe("down");
    clock.advance(500);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it("rejects a command the server refuses with its error", async () => {
    const socket = makeSocket(new FakeClock());
    socket.start();
    const ws = FakeSocket.latest();
    ws.open();
    const result = socket.command("startConsuming", { path: "secret/*" });
    const id = ws.sent[0]._id;
    ws.receive({ _id: id, code: 403, error: "not allowed" });
    await expect(result).rejects.toThrow("not allowed");
  });

  it("stops for good on stop()", () => {
    const clock = new FakeClock();
    const socket = makeSocket(clock);
    socket.start();
    FakeSocket.latest().open();
    socket.stop();
    clock.advance(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(FakeSocket.latest().closed).toBe(true);
  });
});
