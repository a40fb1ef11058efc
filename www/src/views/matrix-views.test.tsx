import { act } from "react";
import { afterEach, describe, expect, it } from "vitest";
import type { Build } from "../data/types";
import { FakeFetch } from "../test/fakes";
import { byTestId, click, oneByTestId, render, settle, type Rendered } from "../test/render";
import { ConsoleView } from "./Console";
import { GridView } from "./Grid";
import { WaterfallView } from "./Waterfall";

const BUILDERS = 100;
const BUILDS = 100_000; // 1,000 per builder

function farm() {
  const builders = Array.from({ length: BUILDERS }, (_, i) => ({ builderid: i + 1, name: `b${String(i + 1).padStart(3, "0")}`, tags: [], description: null, masterids: [1] }));
  const build = (id: number): Build => ({
    buildid: id,
    number: Math.ceil(id / BUILDERS),
    builderid: ((id - 1) % BUILDERS) + 1,
    buildrequestid: id,
    workerid: 1,
    masterid: 1,
    started_at: id * 6,
    complete_at: id * 6 + 300,
    complete: true,
    state_string: "done",
    results: id % 7 === 0 ? 2 : 0,
  });
  const params = (url: string) => new URLSearchParams(url.split("?")[1]);
  return new FakeFetch()
    .on(/^builders(\?|$)/, { body: { builders, meta: { total: BUILDERS } } })
    .on(/^builds\?/, (req) => {
      const p = params(req.url);
      const lt = p.has("buildid__lt") ? Number(p.get("buildid__lt")) : BUILDS + 1;
      const limit = Number(p.get("limit"));
      const items = [];
      for (let id = lt - 1; id >= 1 && items.length < limit; id--) items.push(build(id));
      return { body: { builds: items, meta: {} } };
    })
    .on(/^buildsets\?/, (req) => {
      const p = params(req.url);
      const lt = p.has("bsid__lt") ? Number(p.get("bsid__lt")) : 1001;
      const limit = Number(p.get("limit"));
      const items = [];
      for (let bsid = lt - 1; bsid >= 1 && items.length < limit; bsid--) {
        items.push({ bsid, complete: true, complete_at: 1, external_idstring: null, parent_buildid: null, parent_relationship: null, reason: `commit ${bsid}`, results: 0, sourcestamps: [], submitted_at: 1 });
      }
      return { body: { buildsets: items, meta: {} } };
    })
    .on(/^buildrequests\?/, (req) => {
      // each buildset has one request per builder: id = (bsid-1)*100 + builderid
      const p = params(req.url);
      const items = [];
      for (let bsid = Number(p.get("buildsetid__ge")); bsid <= Number(p.get("buildsetid__le")); bsid++) {
        for (let b = 1; b <= BUILDERS; b++) items.push({ buildrequestid: (bsid - 1) * BUILDERS + b, buildsetid: bsid, builderid: b, complete: true, claimed: true, results: 0, submitted_at: 1, priority: 0 });
      }
      return { body: { buildrequests: items, meta: {} } };
    })
    .on(/^builds\?buildrequestid/, (req) => {
      const p = params(req.url);
      const items = [];
      for (let id = Number(p.get("buildrequestid__ge")); id <= Number(p.get("buildrequestid__le")); id++) items.push(build(id));
      return { body: { builds: items, meta: {} } };
    });
}

let r: Rendered | null = null;
afterEach(() => {
  r?.unmount();
  r = null;
});

async function scrollTo(element: HTMLElement, top: number, left = 0) {
  await act(async () => {
    element.scrollTop = top;
    element.scrollLeft = left;
    element.dispatchEvent(new Event("scroll"));
  });
  await settle();
}

describe("WaterfallView at 100 builders × 1,000 builds", () => {
  it("reads one page of builds and draws only the boxes in view", async () => {
    const fake = farm();
    r = await render(<WaterfallView />, { fake });
    await settle();
    expect(fake.gets("builds")).toEqual(["builds?order=-buildid&limit=500&field=buildid%2Cnumber%2Cbuilderid%2Cbuildrequestid%2Cresults%2Ccomplete%2Cstarted_at%2Ccomplete_at%2Cstate_string%2Cworkerid"]);
    const cells = byTestId(r.container, "matrix-cell");
    expect(cells.length).toBeGreaterThan(20);
    expect(cells.length).toBeLessThan(400);
    // only the first dozen builder columns are drawn
    const builderIds = new Set(cells.map((c) => ((Number(c.dataset.buildid) - 1) % BUILDERS) + 1));
    expect(Math.max(...builderIds)).toBeLessThanOrEqual(13);
  });

  it("pages older builds in by id as the view nears the bottom", async () => {
    const fake = farm();
    r = await render(<WaterfallView />, { fake });
    await settle();
    const view = oneByTestId(r.container, "waterfall-view");
    const height = parseFloat((view.firstElementChild as HTMLElement).style.height);
    await scrollTo(view, height - 700);
    expect(fake.gets("builds")[1]).toContain("buildid__lt=99501");
    const cells = byTestId(r.container, "matrix-cell");
    expect(cells.length).toBeLessThan(400);
  });
});

describe("GridView at 100 builders × 1,000 buildsets", () => {
  it("draws only the cells in view and reads more buildsets when scrolled to the right end", async () => {
    const fake = farm();
    r = await render(<GridView />, { fake });
    await settle();
    const cells = byTestId(r.container, "matrix-cell");
    expect(fake.gets("buildsets")).toHaveLength(1);
    expect(cells.length).toBeGreaterThan(100);
    expect(cells.length).toBeLessThan(1000); // not 100 × 50
    const view = oneByTestId(r.container, "grid-view");
    const width = parseFloat((view.firstElementChild as HTMLElement).style.width);
    await scrollTo(view, 0, width);
    expect(fake.gets("buildsets")[1]).toBe("buildsets?order=-bsid&limit=50&bsid__lt=951");
  });
});

describe.each([
  ["waterfall", WaterfallView],
  ["grid", GridView],
  ["console", ConsoleView],
])("the %s view and inactive builders", (page, View) => {
  it("reads only the builders a master configures until the toggle asks for all", async () => {
    const fake = farm().on(/^changes\?/, { body: { changes: [], meta: {} } });
    window.location.hash = `#/${page}`;
    r = await render(<View />, { fake });
    await settle();
    expect(fake.gets("builders")).toEqual(["builders?active=true"]);
    await click(oneByTestId(r.container, "show-inactive"));
    await settle();
    expect(window.location.hash).toBe(`#/${page}?inactive=1`);
    expect(fake.gets("builders")).toEqual(["builders?active=true", "builders"]);
  });
});
