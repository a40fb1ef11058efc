import { describe, expect, it } from "vitest";
import { RestClient } from "../data/rest";
import type { Build } from "../data/types";
import { FakeFetch } from "../test/fakes";
import { BuildsetMatrix, cellState } from "./buildsets";
import { BuildTimeline, timeLayout } from "./timeline";
import { visibleRange } from "./VirtualGrid";

function build(buildid: number, builderid: number, started: number, completed: number | null, extra: Partial<Build> = {}): Build {
  return {
    buildid,
    number: buildid,
    builderid,
    buildrequestid: buildid,
    workerid: 1,
    masterid: 1,
    started_at: started,
    complete_at: completed,
    complete: completed !== null,
    state_string: "",
    results: completed === null ? null : 0,
    ...extra,
  };
}

describe("visibleRange", () => {
  it("covers the items in view plus overscan, within bounds", () => {
    expect(visibleRange(0, 100, 20, 1000, 2)).toEqual({ first: 0, last: 7 });
    expect(visibleRange(2000, 100, 20, 1000, 2)).toEqual({ first: 98, last: 107 });
    expect(visibleRange(19_990, 100, 20, 1000, 2)).toEqual({ first: 997, last: 999 });
    expect(visibleRange(0, 100, 20, 0)).toEqual({ first: 0, last: -1 });
  });
});

describe("timeLayout", () => {
  it("puts the newest build at the top and scales busy time", () => {
    const layout = timeLayout([build(1, 1, 1000, 1100), build(2, 1, 1100, 1300)], 5000, 1, 600, 24, 10);
    expect(layout.boxes.get(2)).toEqual({ top: 0, height: 200 });
    expect(layout.boxes.get(1)).toEqual({ top: 200, height: 100 });
  });

  it("squeezes long idle stretches into a fixed gap with a time marker", () => {
    const layout = timeLayout([build(1, 1, 0, 100), build(2, 2, 100_000, 100_050)], 200_000, 1, 600, 24, 10);
    expect(layout.boxes.get(2)!.top).toBe(0);
    expect(layout.boxes.get(1)!.top).toBe(50 + 10 + 24); // not 100 000 px further down
    expect(layout.markers.map((m) => m.time)).toEqual([100_050, 100]);
  });

  it("runs a running build until now and gives short builds a least height", () => {
    const layout = timeLayout([build(1, 1, 900, null), build(2, 1, 500, 501)], 1000, 1, 600, 24, 16);
    expect(layout.boxes.get(1)).toEqual({ top: 0, height: 100 });
    expect(layout.boxes.get(2)!.height).toBe(16);
  });

  it("lays out 100 000 builds", () => {
    const builds = Array.from({ length: 100_000 }, (_, i) => build(i + 1, (i % 100) + 1, i * 30, i * 30 + 600));
    const layout = timeLayout(builds, 4_000_000);
    expect(layout.boxes.size).toBe(100_000);
    expect(layout.height).toBeGreaterThan(0);
  });
});

function matrixServer() {
  const buildsets = Array.from({ length: 120 }, (_, i) => ({
    bsid: i + 1,
    complete: true,
    complete_at: 1,
    external_idstring: null,
    parent_buildid: null,
    parent_relationship: null,
    reason: `change ${i + 1}`,
    results: 0,
    sourcestamps: [],
    submitted_at: 1,
  }));
  // buildset n has requests 2n-1 (builder 1) and 2n (builder 2); builds share the request's id
  const requests = buildsets.flatMap((bs) => [1, 2].map((builderid) => ({ buildrequestid: bs.bsid * 2 - 2 + builderid, buildsetid: bs.bsid, builderid, complete: bs.bsid !== 120 || builderid === 1 })));
  const builds = requests.filter((r) => r.complete).map((r) => build(r.buildrequestid, r.builderid, 0, 1));
  const q = (url: string) => new URLSearchParams(url.split("?")[1]);
  const num = (p: URLSearchParams, k: string, d: number) => (p.has(k) ? Number(p.get(k)) : d);
  return new FakeFetch()
    .on(/^buildsets\?/, (req) => {
      const p = q(req.url);
      const items = buildsets
        .filter((b) => b.bsid < num(p, "bsid__lt", Infinity) && b.bsid > num(p, "bsid__gt", -Infinity))
        .sort((a, b) => b.bsid - a.bsid)
        .slice(0, num(p, "limit", 1e9));
      return { body: { buildsets: items, meta: {} } };
    })
    .on(/^buildrequests\?/, (req) => {
      const p = q(req.url);
      return { body: { buildrequests: requests.filter((r) => r.buildsetid >= num(p, "buildsetid__ge", 0) && r.buildsetid <= num(p, "buildsetid__le", 1e9)) } };
    })
    .on(/^builds\?/, (req) => {
      const p = q(req.url);
      return { body: { builds: builds.filter((b) => b.buildrequestid >= num(p, "buildrequestid__ge", 0) && b.buildrequestid <= num(p, "buildrequestid__le", 1e9)) } };
    });
}

describe("BuildsetMatrix", () => {
  it("reads buildsets a page at a time by id, with their requests and builds", async () => {
    const fake = matrixServer();
    const matrix = new BuildsetMatrix(new RestClient({ fetch: fake.fetch }), 50);
    await matrix.loadOlder();
    expect(matrix.columns.map((c) => c.buildset.bsid).slice(0, 3)).toEqual([120, 119, 118]);
    expect(matrix.columns).toHaveLength(50);
    expect(cellState(matrix.columns[1], 2)?.build?.buildid).toBe(238);
    expect(cellState(matrix.columns[0], 2)).toEqual({ build: null, pending: true });
    await matrix.loadOlder();
    await matrix.loadOlder();
    expect(matrix.columns).toHaveLength(120);
    expect(matrix.exhausted).toBe(true);
    expect(fake.gets("buildsets")).toEqual([
      "buildsets?order=-bsid&limit=50",
      "buildsets?order=-bsid&limit=50&bsid__lt=71",
      "buildsets?order=-bsid&limit=50&bsid__lt=21",
    ]);
    await matrix.loadOlder(); // at the end: nothing more is asked
    expect(fake.gets("buildsets")).toHaveLength(3);
  });

  it("applies build events in place and reads newer buildsets on a new one", async () => {
    const fake = matrixServer();
    const matrix = new BuildsetMatrix(new RestClient({ fetch: fake.fetch }), 50);
    await matrix.loadOlder();
    const before = matrix.version;
    matrix.applyEvent({ k: "builds/240/new", m: { ...build(240, 2, 5, null), buildrequestid: 240 } });
    expect(cellState(matrix.columns[0], 2)?.build?.results).toBeNull();
    matrix.applyEvent({ k: "builds/240/finished", m: { ...build(240, 2, 5, 9), results: 2, buildrequestid: 240 } });
    expect(cellState(matrix.columns[0], 2)?.build?.results).toBe(2);
    expect(matrix.version).toBeGreaterThan(before);
    expect(fake.gets("buildsets")).toHaveLength(1);

    matrix.applyEvent({ k: "buildsets/121/new", m: { bsid: 121 } });
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.gets("buildsets")[1]).toBe("buildsets?order=-bsid&limit=500&bsid__gt=120");
  });
});

describe("BuildTimeline", () => {
  it("pages older builds by id and takes new builds from events", async () => {
    const all = Array.from({ length: 30 }, (_, i) => build(i + 1, 1, i * 10, i * 10 + 5));
    const fake = new FakeFetch().on(/^builds\?/, (req) => {
      const p = new URLSearchParams(req.url.split("?")[1]);
      const lt = p.has("buildid__lt") ? Number(p.get("buildid__lt")) : Infinity;
      const items = all.filter((b) => b.buildid < lt).sort((a, b) => b.buildid - a.buildid).slice(0, Number(p.get("limit")));
      return { body: { builds: items } };
    });
    const timeline = new BuildTimeline(new RestClient({ fetch: fake.fetch }), 20);
    await timeline.loadOlder();
    expect(timeline.builds.size).toBe(20);
    await timeline.loadOlder();
    expect(timeline.builds.size).toBe(30);
    expect(timeline.exhausted).toBe(true);
    expect(fake.gets("builds")[1]).toContain("buildid__lt=11");

    timeline.applyEvent({ k: "builds/31/new", m: build(31, 2, 400, null) as unknown as Record<string, unknown> });
    timeline.applyEvent({ k: "builds/5/finished", m: { buildid: 5, results: 2 } });
    expect(timeline.builds.get(31)?.complete).toBe(false);
    expect(timeline.builds.get(5)?.results).toBe(2);
    expect(timeline.builds.get(5)?.started_at).toBe(40);
  });
});
