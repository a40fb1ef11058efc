import { describe, expect, it } from "vitest";
import type { LogSearchResult } from "../data/types";
import { findFirstError, LogSearch, type SearchQuery } from "./search";

/** A server holding matches at the given lines, answering `limit` at a time from `from`. */
function server(lines: number[]) {
  const calls: [number, number][] = [];
  const fetch = async (_q: SearchQuery, from: number, limit: number): Promise<LogSearchResult> => {
    calls.push([from, limit]);
    const after = lines.filter((l) => l >= from);
    const batch = after.slice(0, limit);
    const more = after.length > limit;
    return {
      matches: batch.map((line) => ({ line, text: `match at ${line}` })),
      meta: { more, next: more ? batch[batch.length - 1] + 1 : 0 },
    };
  };
  return { calls, fetch };
}

const query = { q: "error", regex: false, caseSensitive: false };

describe("LogSearch", () => {
  it("keeps asking when the server stops early with no matches yet (its scan budget)", async () => {
    const calls: number[] = [];
    // The server scans 1,000 lines per request; the only match is at line 2,500.
    const fetch = async (_q: SearchQuery, from: number): Promise<LogSearchResult> => {
      calls.push(from);
      const end = from + 1000;
      const hit = from <= 2500 && 2500 < end;
      return {
        matches: hit ? [{ line: 2500, text: "needle" }] : [],
        meta: { more: end < 3000, next: end },
      };
    };
    const search = new LogSearch(query, fetch, 10);
    await search.start();
    expect(search.current?.line).toBe(2500);
    expect(calls).toEqual([0, 1000, 2000]);
  });

  it("stops when the server says there is more but does not move on", async () => {
    let calls = 0;
    const stuck = async (_q: SearchQuery, from: number): Promise<LogSearchResult> => {
      calls += 1;
      return { matches: [], meta: { more: true, next: from } };
    };
    const search = new LogSearch(query, stuck, 10);
    await search.start();
    expect(search.current).toBeNull();
    expect(search.more).toBe(false);
    expect(calls).toBe(1);
    expect(await findFirstError((from) => stuck(query, from))).toBeNull();
  });

  it("starts at the first match at or after the line in view", async () => {
    const s = server([3, 40, 90]);
    const search = new LogSearch(query, s.fetch, 10);
    await search.start(41);
    expect(search.current?.line).toBe(90);
  });

  it("walks forward, fetches the next batch from where the last ended, then wraps", async () => {
    const s = server([5, 10, 15, 20, 25]);
    const search = new LogSearch(query, s.fetch, 2);
    await search.start();
    expect(search.current?.line).toBe(5);
    await search.next();
    expect(search.current?.line).toBe(10);
    await search.next();
    expect(search.current?.line).toBe(15);
    expect(s.calls).toEqual([
      [0, 2],
      [11, 2],
    ]);
    await search.next();
    await search.next();
    expect(search.current?.line).toBe(25);
    expect(search.more).toBe(false);
    await search.next();
    expect(search.current?.line).toBe(5); // wrapped
  });

  it("walks back through fetched matches and wraps only when all are known", async () => {
    const s = server([1, 2, 3]);
    const search = new LogSearch(query, s.fetch, 10);
    await search.start();
    search.previous();
    expect(search.current?.line).toBe(3);
    search.previous();
    expect(search.current?.line).toBe(2);
  });

  it("has no current match when nothing matches", async () => {
    const search = new LogSearch(query, server([]).fetch);
    await search.start();
    expect(search.current).toBeNull();
    await search.next();
    expect(search.current).toBeNull();
  });
});

describe("findFirstError", () => {
  it("takes the first match, in one small request", async () => {
    const s = server([4, 8]);
    expect(await findFirstError((from) => s.fetch(query, from, 1))).toBe(4);
    expect(s.calls).toEqual([[0, 1]]);
  });

  it("goes on past batches the server ended early without a match", async () => {
    const asked: number[] = [];
    const search = async (from: number): Promise<LogSearchResult> => {
      asked.push(from);
      if (from < 2000) return { matches: [], meta: { more: true, next: from + 1000 } };
      return { matches: [{ line: 2345, text: "error: here" }], meta: { more: false, next: null } };
    };
    expect(await findFirstError(search)).toBe(2345);
    expect(asked).toEqual([0, 1000, 2000]);
  });

  it("finds nothing when nothing matches", async () => {
    const s = server([]);
    expect(await findFirstError((from) => s.fetch(query, from, 1))).toBeNull();
  });
});
