import { act } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConnectionBanner } from "../app/ConnectionBanner";
import { TopBar } from "../app/TopBar";
import type { Build, UiBuild, Worker } from "../data/types";
import { FakeFetch, FakeSocket } from "../test/fakes";
import { byTestId, click, oneByTestId, render, settle, typeInto, type Rendered } from "../test/render";
import { BuildView } from "./Build";
import { BuildersView } from "./Builders";
import { HomeView } from "./Home";
import { WorkerActions } from "./Workers";

function build(buildid: number, extra: Partial<Build> = {}): Build {
  return {
    buildid,
    number: buildid,
    builderid: 1,
    buildrequestid: buildid,
    workerid: 1,
    masterid: 1,
    started_at: 1000,
    complete_at: null,
    complete: false,
    state_string: "building",
    results: null,
    buildername: "app",
    ...extra,
  };
}

let r: Rendered | null = null;
afterEach(() => {
  r?.unmount();
  r = null;
  window.location.hash = "";
});

describe("ConnectionBanner", () => {
  it("shows while the websocket is down and goes away once it is back", async () => {
    r = await render(<ConnectionBanner />);
    expect(byTestId(r.container, "connection-banner")).toHaveLength(0);
    await act(async () => r!.ws().drop());
    expect(oneByTestId(r.container, "connection-banner").textContent).toContain("reconnecting");
    await act(async () => r!.clock.advance(1000));
    expect(FakeSocket.instances).toHaveLength(2);
    await act(async () => r!.ws().open());
    expect(byTestId(r.container, "connection-banner")).toHaveLength(0);
  });
});

describe("HomeView", () => {
  it("updates a running build from its update event without asking the server again", async () => {
    const fake = new FakeFetch().on("ui/home", {
      body: { running: [build(5)], recent: [build(4, { complete: true, results: 2, complete_at: 1100 })], workers: { total: 3, connected: 2, paused: 1 }, pending: 4, builders: 7 },
    });
    r = await render(<HomeView />, { fake });
    expect(oneByTestId(r.container, "home-workers").textContent).toMatch(/2\/3\s*workers connected/);
    expect(oneByTestId(r.container, "home-pending").textContent).toContain("4 pending");
    const running = oneByTestId(r.container, "running-builds");
    expect(running.textContent).toContain("building");
    expect(oneByTestId(r.container, "recent-builds").querySelector('[data-result="failure"]')).not.toBeNull();
    expect(r.ws().commands("startConsuming")).toContain("builds/*/*");

    await act(async () => r!.ws().receive({ k: "builds/5/update", m: { buildid: 5, state_string: "running tests" } }));
    expect(oneByTestId(r.container, "running-builds").textContent).toContain("running tests");
    expect(fake.gets("ui/home")).toHaveLength(1);
  });

  it("asks the server again when a build starts", async () => {
    let calls = 0;
    const fake = new FakeFetch().on("ui/home", () => {
      calls += 1;
      const running = calls === 1 ? [] : [build(6, { state_string: "just started" })];
      return { body: { running, recent: [], workers: { total: 0, connected: 0, paused: 0 }, pending: 0, builders: 1 } };
    });
    r = await render(<HomeView />, { fake });
    expect(oneByTestId(r.container, "home").textContent).toContain("Nothing is running");
    await act(async () => r!.ws().receive({ k: "builds/6/new", m: { buildid: 6 } }));
    await settle(1100); // refetches are at least a second apart on this page
    expect(oneByTestId(r.container, "running-builds").textContent).toContain("just started");
  });
});

describe("control buttons", () => {
  const worker = (workerid: number): Worker => ({
    workerid,
    name: `w${workerid}`,
    paused: false,
    graceful: false,
    configured_on: [],
    connected_to: [{ masterid: 1 }],
    workerinfo: {},
  });

  it("show the master's 403 message, and hide that action elsewhere", async () => {
    vi.spyOn(window, "prompt").mockReturnValue("maintenance");
    const fake = new FakeFetch().on("workers/1", {
      status: 403,
      body: { jsonrpc: "2.0", id: 1, error: { code: -32000, message: "only admins may pause workers" } },
    });
    r = await render(
      <>
        <WorkerActions worker={worker(1)} />
        <WorkerActions worker={worker(2)} />
      </>,
      { fake },
    );
    expect(byTestId(r.container, "worker-pause")).toHaveLength(2);
    await click(byTestId(r.container, "worker-pause")[0]);
    const post = fake.requests.find((q) => q.method === "POST")!;
    expect(post.body).toMatchObject({ method: "pause", params: { reason: "maintenance" } });
    expect(oneByTestId(r.container, "control-error").textContent).toBe("only admins may pause workers");
    const left = byTestId(r.container, "worker-pause");
    expect(left).toHaveLength(1);
    expect(left[0]).toHaveProperty("disabled", true);
    // other actions are not affected
    expect(byTestId(r.container, "worker-stop")).toHaveLength(2);
  });
});

describe("BuildersView", () => {
  it("filters by tag and by the search box, both kept in the URL", async () => {
    const summary = (builderid: number, name: string, tags: string[]) => ({
      builderid,
      name,
      tags,
      description: null,
      masterids: [1],
      last_builds: [build(builderid * 10, { builderid, complete: true, results: builderid === 2 ? 2 : 0 })],
      running: 0,
      pending: 0,
    });
    const fake = new FakeFetch().on("ui/builders", {
      body: { builders: [summary(1, "linux-x86", ["linux"]), summary(2, "linux-arm", ["linux", "arm"]), summary(3, "windows", ["win"])] },
    });
    window.location.hash = "#/builders?tags=linux";
    r = await render(<BuildersView />, { fake });
    const names = () => byTestId(r!.container, "builder-row").map((row) => row.querySelector("a")!.textContent);
    expect(names()).toEqual(["linux-arm", "linux-x86"]);
    await typeInto(oneByTestId(r.container, "builders-search"), "x86");
    await settle();
    expect(window.location.hash).toContain("q=x86");
    expect(names()).toEqual(["linux-x86"]);
  });
});

describe("BuildersView and inactive builders", () => {
  const summary = (builderid: number, name: string, masterids: number[]) => ({ builderid, name, tags: [], description: null, masterids, last_builds: [], running: 0, pending: 0 });

  it("asks the server for the configured builders only, and for all once the toggle is on", async () => {
    const fake = new FakeFetch().on("ui/builders", (req) =>
      req.url.includes("inactive=1")
        ? { body: { builders: [summary(1, "app", [1]), summary(2, "retired", [])], inactive: 1 } }
        : { body: { builders: [summary(1, "app", [1])], inactive: 1 } },
    );
    window.location.hash = "#/builders";
    r = await render(<BuildersView />, { fake });
    const names = () => byTestId(r!.container, "builder-row").map((row) => row.querySelector("a")!.textContent);
    expect(fake.gets("ui/builders")).toEqual(["ui/builders"]);
    expect(names()).toEqual(["app"]);
    const toggle = oneByTestId(r.container, "show-inactive") as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    expect(toggle.parentElement!.textContent).toContain("show inactive builders (1)");

    await click(toggle);
    await settle();
    expect(window.location.hash).toContain("inactive=1");
    expect(fake.gets("ui/builders")).toEqual(["ui/builders", "ui/builders?inactive=1"]);
    expect(names()).toEqual(["app", "retired"]);
    const retired = byTestId(r.container, "builder-row")[1];
    expect(retired.className).toBe("inactive");
    expect(retired.textContent).toContain("(inactive)");
    expect((oneByTestId(r.container, "show-inactive") as HTMLInputElement).checked).toBe(true);
  });

  it("keeps the choice in the URL: a link with inactive=1 shows them from the start", async () => {
    const fake = new FakeFetch().on("ui/builders", { body: { builders: [summary(2, "retired", [])], inactive: 1 } });
    window.location.hash = "#/builders?inactive=1";
    r = await render(<BuildersView />, { fake });
    expect(fake.gets("ui/builders")).toEqual(["ui/builders?inactive=1"]);
    expect((oneByTestId(r.container, "show-inactive") as HTMLInputElement).checked).toBe(true);
  });

  it("counts inactive builders apart on the home page", async () => {
    const fake = new FakeFetch().on("ui/home", { body: { running: [], recent: [], workers: { total: 0, connected: 0, paused: 0 }, pending: 0, builders: 2, inactive_builders: 5000 } });
    r = await render(<HomeView />, { fake });
    expect(r.container.querySelector(".tile")!.textContent).toBe("2 builders · 5000 inactive");
  });
});

describe("BuildView", () => {
  const page = (): UiBuild => ({
    build: build(12, { properties: { branch: ["main", "Build"], reason: ["nightly", "Scheduler"] } }),
    builder: { builderid: 1, name: "app", description: null, tags: [], masterids: [1] },
    steps: [
      { stepid: 100, buildid: 12, number: 0, name: "checkout", started_at: 1000, complete_at: 1010, complete: true, results: 0, state_string: "updated", hidden: false, urls: [], logs: [] },
      { stepid: 101, buildid: 12, number: 1, name: "test", started_at: 1010, complete_at: null, complete: false, results: null, state_string: "testing", hidden: false, urls: [], logs: [] },
    ],
    worker: { workerid: 1, name: "w1", paused: false, graceful: false, configured_on: [], connected_to: [], workerinfo: {} },
    changes: [],
    buildrequest: null,
    triggered: [build(13, { buildername: "child", complete: true, results: 0 })],
    parent: null,
  });

  it("shows steps, properties and triggered builds, and follows step events", async () => {
    const fake = new FakeFetch().on("ui/build/12", { body: page() });
    r = await render(<BuildView buildid={12} />, { fake });
    const rows = byTestId(r.container, "step-row");
    expect(rows.map((row) => row.dataset.result)).toEqual(["0", "running"]);
    expect(oneByTestId(r.container, "build-properties").textContent).toContain("nightly");
    expect(oneByTestId(r.container, "build-triggered").textContent).toContain("child #13");

    await act(async () =>
      r!.ws().receive({ k: "steps/101/finished", m: { ...page().steps[1], complete: true, complete_at: 1020, results: 2, state_string: "3 tests failed", logs: undefined } }),
    );
    expect(byTestId(r.container, "step-row")[1].dataset.result).toBe("2");
    expect(byTestId(r.container, "step-row")[1].textContent).toContain("3 tests failed");
    // another build's steps change nothing
    await act(async () => r!.ws().receive({ k: "steps/900/new", m: { stepid: 900, buildid: 99, number: 5, name: "other" } }));
    expect(byTestId(r.container, "step-row")).toHaveLength(2);
    expect(fake.gets("ui/build/12")).toHaveLength(1);
  });

  it("stops a running build with the reason given", async () => {
    vi.spyOn(window, "prompt").mockReturnValue("wrong branch");
    const fake = new FakeFetch().on("ui/build/12", { body: page() }).on("builds/12", { body: { jsonrpc: "2.0", id: 1, result: null } });
    r = await render(<BuildView buildid={12} />, { fake });
    expect(byTestId(r.container, "build-rebuild")).toHaveLength(0);
    await click(oneByTestId(r.container, "build-stop"));
    const post = fake.requests.find((q) => q.method === "POST")!;
    expect(post.url).toBe("api/v2/builds/12");
    expect(post.body).toMatchObject({ method: "stop", params: { reason: "wrong branch" } });
  });
});

describe("TopBar", () => {
  it("logs in with HTTP Basic credentials and reads /config again", async () => {
    const reload = vi.fn(async () => {});
    const fake = new FakeFetch().on("auth/login", { body: { username: "ann" } });
    r = await render(<TopBar />, { fake, reload, config: { auth: { name: "UserPasswordAuth" }, user: { anonymous: true } } });
    await click(oneByTestId(r.container, "login"));
    await typeInto(oneByTestId(r.container, "login-username"), "ann");
    await typeInto(oneByTestId(r.container, "login-password"), "sécret");
    await act(async () => {
      oneByTestId(r!.container, "login-form").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    await settle();
    const login = fake.requests.find((q) => q.url === "auth/login")!;
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(login.headers.authorization.slice(6)), (c) => c.charCodeAt(0)));
    expect(decoded).toBe("ann:sécret");
    expect(reload).toHaveBeenCalled();
  });

  it("shows a wrong password as such", async () => {
    const fake = new FakeFetch().on("auth/login", { status: 401, body: { error: "unauthorized" } });
    r = await render(<TopBar />, { fake, config: { auth: { name: "UserPasswordAuth" }, user: { anonymous: true } } });
    await click(oneByTestId(r.container, "login"));
    await typeInto(oneByTestId(r.container, "login-username"), "ann");
    await act(async () => {
      oneByTestId(r!.container, "login-form").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    await settle();
    expect(oneByTestId(r.container, "login-error").textContent).toBe("wrong user name or password");
  });

  it("has no login control without authentication", async () => {
    r = await render(<TopBar />);
    expect(byTestId(r.container, "login")).toHaveLength(0);
  });
});
