// The waterfall's data and layout. Builds are read newest first a page at
// a time (`buildid__lt`, so that new builds never shift a page) and placed
// on a time axis that runs down the page from now into the past; stretches
// where nothing ran are squeezed to a fixed gap, so a quiet night does not
// take a screen of empty space.

import type { RestClient } from "../data/rest";
import type { Build, WsEvent } from "../data/types";
import { BUILD_FIELDS } from "./buildsets";

export interface Box {
  top: number;
  height: number;
}

export interface TimeLayout {
  boxes: Map<number, Box>;
  height: number;
  /** Where each busy stretch starts, with its newest time. */
  markers: { y: number; time: number }[];
}

/**
 * Places builds on a compressed time axis (newest at y=0): `scale` px per
 * second inside busy stretches, `gapPx` between stretches more than
 * `gapSeconds` apart, and at least `minPx` per build.
 */
export function timeLayout(
  builds: Build[],
  now: number,
  scale = 0.5,
  gapSeconds = 600,
  gapPx = 24,
  minPx = 16,
): TimeLayout {
  const spans = builds
    .map((b) => ({ id: b.buildid, start: b.started_at, end: Math.max(b.started_at, b.complete_at ?? now) }))
    .sort((a, b) => b.end - a.end);
  // busy stretches, newest first
  const stretches: { start: number; end: number; top: number }[] = [];
  for (const span of spans) {
    const current = stretches[stretches.length - 1];
    if (current && span.end >= current.start - gapSeconds) current.start = Math.min(current.start, span.start);
    else stretches.push({ start: span.start, end: span.end, top: 0 });
  }
  let y = 0;
  const markers: { y: number; time: number }[] = [];
  for (const stretch of stretches) {
    stretch.top = y;
    markers.push({ y, time: stretch.end });
    y += (stretch.end - stretch.start) * scale + minPx + gapPx;
  }
  const boxes = new Map<number, Box>();
  let s = 0;
  for (const span of spans) {
    // spans are sorted by end, descending, as are the stretches
    while (s < stretches.length - 1 && span.end < stretches[s].start) s++;
    const stretch = stretches[s];
    const top = stretch.top + (stretch.end - span.end) * scale;
    boxes.set(span.id, { top, height: Math.max(minPx, (span.end - span.start) * scale) });
  }
  return { boxes, height: y, markers };
}

export class BuildTimeline {
  readonly builds = new Map<number, Build>();
  exhausted = false;
  version = 0;
  error: string | null = null;
  private readonly listeners = new Set<() => void>();
  private loadingOlder = false;
  private newerRunning = false;
  private newerQueued = false;

  constructor(
    private readonly rest: RestClient,
    readonly pageSize = 500,
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private bounds(): [number, number] | null {
    if (!this.builds.size) return null;
    let min = Infinity;
    let max = -Infinity;
    for (const id of this.builds.keys()) {
      if (id < min) min = id;
      if (id > max) max = id;
    }
    return [min, max];
  }

  async loadOlder(): Promise<void> {
    if (this.loadingOlder || this.exhausted) return;
    this.loadingOlder = true;
    try {
      const bounds = this.bounds();
      const { items } = await this.rest.list<Build>("builds", {
        order: "-buildid",
        limit: this.pageSize,
        buildid__lt: bounds?.[0],
        field: BUILD_FIELDS,
      });
      if (items.length < this.pageSize) this.exhausted = true;
      for (const build of items) this.builds.set(build.buildid, build);
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loadingOlder = false;
      this.changed();
    }
  }

  async loadNewer(): Promise<void> {
    if (this.newerRunning) {
      this.newerQueued = true;
      return;
    }
    const bounds = this.bounds();
    if (!bounds) return this.loadOlder();
    this.newerRunning = true;
    try {
      const { items } = await this.rest.list<Build>("builds", {
        order: "-buildid",
        limit: 1000,
        buildid__gt: bounds[1],
        field: BUILD_FIELDS,
      });
      for (const build of items) this.builds.set(build.buildid, build);
      // running builds may have finished while events were missed
      const running = [...this.builds.values()].filter((b) => !b.complete).map((b) => b.buildid);
      if (running.length) {
        const fresh = await this.rest.list<Build>("builds", { buildid__in: running.slice(0, 200), field: BUILD_FIELDS });
        for (const build of fresh.items) this.builds.set(build.buildid, build);
      }
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.newerRunning = false;
      this.changed();
      if (this.newerQueued) {
        this.newerQueued = false;
        void this.loadNewer();
      }
    }
  }

  applyEvent(event: WsEvent): void {
    const [kind, id, what] = event.k.split("/");
    if (kind !== "builds" || event.k.split("/").length !== 3) return;
    const buildid = Number(id);
    const known = this.builds.get(buildid);
    if (known) {
      this.builds.set(buildid, { ...known, ...(event.m as Partial<Build>) });
      this.changed();
    } else if (what === "new") {
      const bounds = this.bounds();
      if (!bounds || buildid > bounds[1]) {
        this.builds.set(buildid, event.m as unknown as Build);
        this.changed();
      }
    }
  }

  private changed(): void {
    this.version += 1;
    for (const listener of [...this.listeners]) listener();
  }
}
