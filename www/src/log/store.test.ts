import { describe, expect, it } from "vitest";
import { LogStore, splitContent } from "./store";

interface Call {
  offset: number;
  limit: number;
  signal: AbortSignal;
  resolve: (lines: string[]) => void;
}

/** A loader the test answers by hand; `serve` answers with lines "o<n>". */
function manualLoader() {
  const calls: Call[] = [];
  const load = (offset: number, limit: number, signal: AbortSignal) =>
    new Promise<string[]>((resolve) => calls.push({ offset, limit, signal, resolve }));
  const serve = async (call: Call, available = Infinity) => {
    const count = Math.max(0, Math.min(call.limit, available - call.offset));
    call.resolve(Array.from({ length: count }, (_, i) => `oline ${call.offset + i}`));
    await Promise.resolve();
    await Promise.resolve();
  };
  return { calls, load, serve };
}

describe("splitContent", () => {
  it("splits on newlines without a trailing empty line", () => {
    expect(splitContent("oa\neb\n")).toEqual(["oa", "eb"]);
    expect(splitContent("")).toEqual([]);
    expect(splitContent("ono newline")).toEqual(["ono newline"]);
  });
});

describe("LogStore", () => {
  it("loads the pages covering the wanted lines, and no more than the log has", async () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 2500, streams: true, pageSize: 1000 });
    store.ensure(950, 1100);
    expect(l.calls.map((c) => [c.offset, c.limit])).toEqual([
      [0, 1000],
      [1000, 1000],
    ]);
    store.ensure(2400, 2600);
    expect(l.calls.map((c) => [c.offset, c.limit]).slice(2)).toEqual([[2000, 500]]);
  });

  it("splits stdio lines into stream and text", async () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 3, streams: true, pageSize: 10 });
    store.ensure(0, 2);
    l.calls[0].resolve(["hcommand", "ohello", "eoops"]);
    await Promise.resolve();
    expect(store.line(0)).toEqual({ stream: "h", text: "command" });
    expect(store.line(2)).toEqual({ stream: "e", text: "oops" });
    expect(store.line(3)).toBeUndefined();
  });

  it("keeps text logs' lines whole", async () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 1, streams: false, pageSize: 10 });
    store.ensure(0, 0);
    l.calls[0].resolve(["oh no"]);
    await Promise.resolve();
    expect(store.line(0)).toEqual({ stream: "", text: "oh no" });
  });

  it("asks for a page once, however often its lines are wanted", () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 5000, streams: true, pageSize: 1000 });
    store.ensure(10, 50);
    store.ensure(20, 60);
    store.ensure(0, 999);
    expect(l.calls).toHaveLength(1);
  });

  it("aborts the request of a page scrolled past before it arrived", async () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 1_000_000, streams: true, pageSize: 1000 });
    store.ensure(0, 50);
    store.ensure(500_000, 500_050);
    expect(l.calls[0].signal.aborted).toBe(true);
    expect(l.calls[1].signal.aborted).toBe(false);
    await l.serve(l.calls[0]); // a late answer is dropped
    expect(store.line(0)).toBeUndefined();
    expect(store.pageCount).toBe(1);
  });

  it("keeps at most maxPages pages, dropping the least recently wanted", async () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 1_000_000, streams: true, pageSize: 100, maxPages: 3 });
    for (const page of [0, 1, 2]) {
      store.ensure(page * 100, page * 100 + 10);
      await l.serve(l.calls[l.calls.length - 1]);
    }
    store.ensure(0, 10); // page 0 is wanted again: page 1 is now the oldest
    store.ensure(500, 510);
    await l.serve(l.calls[l.calls.length - 1]);
    expect(store.pageCount).toBe(3);
    expect(store.line(0)).toBeDefined();
    expect(store.line(100)).toBeUndefined();
    expect(store.line(200)).toBeDefined();
    expect(store.line(505)?.text).toBe("line 505");
  });

  it("holds a bounded number of lines while a million-line log is scrolled end to end", async () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 1_000_000, streams: true, pageSize: 1000, maxPages: 20 });
    for (let top = 0; top < 1_000_000; top += 7919) {
      store.ensure(top, top + 60);
      for (const call of l.calls.splice(0)) if (!call.signal.aborted) await l.serve(call);
      expect(store.line(top + 30)?.text).toBe(`line ${top + 30}`);
    }
    expect(store.pageCount).toBeLessThanOrEqual(20);
    expect(store.loadedLines).toBeLessThanOrEqual(20_000);
  });

  it("fetches only the new lines of its last page when a running log grows", async () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 150, streams: true, pageSize: 100 });
    let changes = 0;
    store.subscribe(() => (changes += 1));
    store.ensure(100, 149);
    await l.serve(l.calls[0], 150);
    expect(store.line(149)?.text).toBe("line 149");

    store.setNumLines(180); // logs/N/append
    expect(l.calls.map((c) => [c.offset, c.limit])).toEqual([
      [100, 50],
      [150, 30],
    ]);
    await l.serve(l.calls[1], 180);
    expect(store.line(179)?.text).toBe("line 179");
    expect(store.numLines).toBe(180);

    store.setNumLines(260); // the page fills up and a new one starts
    store.ensure(150, 259);
    expect(l.calls.slice(2).map((c) => [c.offset, c.limit])).toEqual([
      [180, 20],
      [200, 60],
    ]);
    expect(changes).toBeGreaterThanOrEqual(4);
  });

  it("never shrinks", () => {
    const l = manualLoader();
    const store = new LogStore({ load: l.load, numLines: 100, streams: true });
    store.setNumLines(50);
    expect(store.numLines).toBe(100);
  });

  it("keeps a failed page's error and tries again the next time it is wanted", async () => {
    const calls: number[] = [];
    let fail = true;
    const store = new LogStore({
      load: async (offset) => {
        calls.push(offset);
        if (fail) throw new Error("503 busy");
        return ["oback"];
      },
      numLines: 1,
      streams: true,
    });
    store.ensure(0, 0);
    await Promise.resolve();
    await Promise.resolve();
    expect(store.errorAt(0)).toBe("503 busy");
    fail = false;
    store.ensure(0, 0);
    await Promise.resolve();
    await Promise.resolve();
    expect(store.line(0)?.text).toBe("back");
    expect(calls).toEqual([0, 0]);
  });
});
