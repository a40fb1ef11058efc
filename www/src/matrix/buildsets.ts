// The data of the console and grid views: buildsets, newest first, with
// their build requests and builds, read a page at a time. Pages are keyed
// on ids (`bsid__lt`) rather than offsets, so that buildsets arriving while
// the user scrolls neither shift nor repeat a page; new ones are read with
// `bsid__gt` and put in front.
//
// Events keep it live: a build's update is applied in place; a new build,
// request or buildset makes it read what is newer than what it has.

import type { RestClient } from "../data/rest";
import type { Build, BuildRequest, Buildset, WsEvent } from "../data/types";

export const BUILD_FIELDS = ["buildid", "number", "builderid", "buildrequestid", "results", "complete", "started_at", "complete_at", "state_string", "workerid"];
const REQUEST_FIELDS = ["buildrequestid", "buildsetid", "builderid", "claimed", "complete", "results", "submitted_at", "priority"];

export interface Column {
  buildset: Buildset;
  /** Builds by builderid, oldest first. */
  builds: Map<number, Build[]>;
  /** Requests by builderid. */
  requests: Map<number, BuildRequest[]>;
}

export class BuildsetMatrix {
  columns: Column[] = [];
  exhausted = false;
  version = 0;
  error: string | null = null;
  private readonly byBsid = new Map<number, Column>();
  private readonly bsidOfRequest = new Map<number, number>();
  private readonly listeners = new Set<() => void>();
  private loadingOlder = false;
  private newerQueued = false;
  private newerRunning = false;

  constructor(
    private readonly rest: RestClient,
    readonly pageSize = 50,
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Read the next page of older buildsets (no-op while one is read, or at the end). */
  async loadOlder(): Promise<void> {
    if (this.loadingOlder || this.exhausted) return;
    this.loadingOlder = true;
    try {
      const oldest = this.columns.length ? this.columns[this.columns.length - 1].buildset.bsid : null;
      const { items } = await this.rest.list<Buildset>("buildsets", {
        order: "-bsid",
        limit: this.pageSize,
        bsid__lt: oldest ?? undefined,
      });
      if (items.length < this.pageSize) this.exhausted = true;
      await this.add(items, "end");
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
      this.changed();
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Read the buildsets newer than the newest held. */
  async loadNewer(): Promise<void> {
    if (this.newerRunning) {
      this.newerQueued = true;
      return;
    }
    if (!this.columns.length) return this.loadOlder();
    this.newerRunning = true;
    try {
      const { items } = await this.rest.list<Buildset>("buildsets", {
        order: "-bsid",
        limit: 500,
        bsid__gt: this.columns[0].buildset.bsid,
      });
      await this.add(items, "start");
      // requests and builds of the newest buildsets may have appeared since
      await this.details(this.columns.slice(0, Math.min(this.columns.length, items.length + 5)));
      this.changed();
    } catch (e) {
      this.error = (e as Error).message;
      this.changed();
    } finally {
      this.newerRunning = false;
      if (this.newerQueued) {
        this.newerQueued = false;
        void this.loadNewer();
      }
    }
  }

  applyEvent(event: WsEvent): void {
    const [kind, , what] = event.k.split("/");
    if (kind === "builds") {
      const build = event.m as unknown as Build;
      const bsid = this.bsidOfRequest.get(build.buildrequestid);
      const column = bsid === undefined ? undefined : this.byBsid.get(bsid);
      if (!column) {
        if (what === "new") void this.loadNewer();
        return;
      }
      this.putBuild(column, build);
      this.changed();
    } else if (kind === "buildrequests") {
      const request = event.m as unknown as BuildRequest;
      const column = this.byBsid.get(request.buildsetid);
      if (!column) {
        if (what === "new") void this.loadNewer();
        return;
      }
      this.putRequest(column, request);
      this.changed();
    } else if (kind === "buildsets") {
      const buildset = event.m as unknown as Buildset;
      const column = this.byBsid.get(buildset.bsid);
      if (column) {
        column.buildset = { ...column.buildset, ...buildset };
        this.changed();
      } else if (what === "new") void this.loadNewer();
    }
  }

  private async add(buildsets: Buildset[], where: "start" | "end"): Promise<void> {
    const fresh = buildsets.filter((b) => !this.byBsid.has(b.bsid)).sort((a, b) => b.bsid - a.bsid);
    if (!fresh.length) {
      this.changed();
      return;
    }
    const columns = fresh.map((buildset) => ({ buildset, builds: new Map(), requests: new Map() }) as Column);
    for (const column of columns) this.byBsid.set(column.buildset.bsid, column);
    this.columns = where === "start" ? [...columns, ...this.columns] : [...this.columns, ...columns];
    await this.details(columns);
    this.changed();
  }

  /** Read the requests and builds of these columns, by id ranges. */
  private async details(columns: Column[]): Promise<void> {
    if (!columns.length) return;
    const bsids = columns.map((c) => c.buildset.bsid);
    const requests = await this.rest.list<BuildRequest>("buildrequests", {
      buildsetid__ge: Math.min(...bsids),
      buildsetid__le: Math.max(...bsids),
      field: REQUEST_FIELDS,
    });
    const wanted = new Set(bsids);
    const ids: number[] = [];
    for (const request of requests.items) {
      if (!wanted.has(request.buildsetid)) continue;
      const column = this.byBsid.get(request.buildsetid)!;
      this.putRequest(column, request);
      ids.push(request.buildrequestid);
    }
    if (!ids.length) return;
    const builds = await this.rest.list<Build>("builds", {
      buildrequestid__ge: Math.min(...ids),
      buildrequestid__le: Math.max(...ids),
      field: BUILD_FIELDS,
    });
    for (const build of builds.items) {
      const bsid = this.bsidOfRequest.get(build.buildrequestid);
      const column = bsid === undefined ? undefined : this.byBsid.get(bsid);
      if (column) this.putBuild(column, build);
    }
  }

  private putRequest(column: Column, request: BuildRequest): void {
    this.bsidOfRequest.set(request.buildrequestid, column.buildset.bsid);
    const list = column.requests.get(request.builderid) ?? [];
    const index = list.findIndex((r) => r.buildrequestid === request.buildrequestid);
    const next = index >= 0 ? list.map((r, i) => (i === index ? { ...r, ...request } : r)) : [...list, request];
    column.requests.set(request.builderid, next);
  }

  private putBuild(column: Column, build: Build): void {
    const list = column.builds.get(build.builderid) ?? [];
    const index = list.findIndex((b) => b.buildid === build.buildid);
    const next = index >= 0 ? list.map((b, i) => (i === index ? { ...b, ...build } : b)) : [...list, build].sort((a, b) => a.buildid - b.buildid);
    column.builds.set(build.builderid, next);
  }

  private changed(): void {
    this.version += 1;
    for (const listener of [...this.listeners]) listener();
  }
}

/** What a cell shows: the newest build, or a pending request, or nothing. */
export function cellState(column: Column, builderid: number): { build: Build | null; pending: boolean } | null {
  const builds = column.builds.get(builderid);
  if (builds?.length) return { build: builds[builds.length - 1], pending: false };
  const requests = column.requests.get(builderid);
  if (requests?.some((r) => !r.complete)) return { build: null, pending: true };
  return null;
}
