// Waterfall: a column per builder and time running down from now; each
// build is a box from its start to its end. Only the boxes in view are
// drawn, and older builds page in as the view nears the bottom.

import { useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { href } from "../app/router";
import { Empty } from "../components/common";
import { useNow } from "../data/hooks";
import type { Build } from "../data/types";
import { dateTime } from "../format";
import { BuildCell, TagFilter, useShownBuilders } from "../matrix/cells";
import { timeLayout, type Box } from "../matrix/timeline";
import { useBuildTimeline } from "../matrix/useMatrix";
import { visibleRange } from "../matrix/VirtualGrid";

const COL = 110;
const AXIS = 130;
const HEAD = 28;

/** Index of the first box whose bottom is at or below y (boxes sorted by top; heights vary little). */
function firstBelow(column: { box: Box }[], y: number): number {
  let lo = 0;
  let hi = column.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (column[mid].box.top + column[mid].box.height < y) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 2);
}

export function WaterfallView() {
  const { builders, allTags, tags, loaded } = useShownBuilders();
  const timeline = useBuildTimeline();
  const now = useNow();
  const [scale, setScale] = useState(0.5);
  const coarseNow = Math.floor(now / 10) * 10;
  const shownIds = useMemo(() => new Set(builders.map((b) => b.builderid)), [builders]);

  const { layout, columns } = useMemo(() => {
    const builds = [...timeline.builds.values()].filter((b) => shownIds.has(b.builderid));
    const layout = timeLayout(builds, coarseNow, scale);
    const byBuilder = new Map<number, { build: Build; box: Box }[]>();
    for (const build of builds) {
      const list = byBuilder.get(build.builderid) ?? [];
      list.push({ build, box: layout.boxes.get(build.buildid)! });
      byBuilder.set(build.builderid, list);
    }
    for (const list of byBuilder.values()) list.sort((a, b) => a.box.top - b.box.top);
    return { layout, columns: byBuilder };
  }, [timeline.version, shownIds, coarseNow, scale]);

  const ref = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, left: 0 });
  const [size, setSize] = useState({ width: 1200, height: 700 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setSize({ width: el.clientWidth || 1200, height: el.clientHeight || 700 });
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const nearEnd = scroll.top + size.height >= layout.height - 300;
  useLayoutEffect(() => {
    if (nearEnd && !timeline.exhausted) void timeline.loadOlder();
  }, [nearEnd, timeline, timeline.version]);

  const colRange = visibleRange(scroll.left, size.width - AXIS, COL, builders.length, 1);
  const items: ReactNode[] = [];
  const top = scroll.top - HEAD;
  const bottom = scroll.top + size.height;
  for (let c = colRange.first; c <= colRange.last; c++) {
    const builder = builders[c];
    items.push(
      <div key={`h${builder.builderid}`} className="colhead" style={{ top: scroll.top, left: AXIS + c * COL, width: COL, height: HEAD, zIndex: 4 }}>
        <a href={href(`builders/${builder.builderid}`)} title={builder.name}>
          {builder.name}
        </a>
      </div>,
    );
    const column = columns.get(builder.builderid) ?? [];
    for (let i = firstBelow(column, top); i < column.length && column[i].box.top <= bottom; i++) {
      const { build, box } = column[i];
      items.push(
        <BuildCell
          key={build.buildid}
          build={build}
          style={{ top: HEAD + box.top, height: box.height, left: AXIS + c * COL + 2, width: COL - 4 }}
        />,
      );
    }
  }
  for (const marker of layout.markers) {
    if (marker.y + HEAD < top || marker.y > bottom) continue;
    items.push(
      <div key={`m${marker.y}`} className="timeline" style={{ top: HEAD + marker.y, left: scroll.left, width: AXIS + builders.length * COL }}>
        {dateTime(marker.time)}
      </div>,
    );
  }
  items.push(<div key="corner" className="corner" style={{ top: scroll.top, left: scroll.left, width: AXIS, height: HEAD, zIndex: 5 }} />);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Waterfall</h1>
        <TagFilter allTags={allTags} tags={tags} />
        <label className="muted">
          zoom{" "}
          <select value={scale} onChange={(e) => setScale(Number(e.target.value))} data-testid="waterfall-zoom">
            <option value={0.1}>1 px = 10 s</option>
            <option value={0.5}>1 px = 2 s</option>
            <option value={2}>2 px = 1 s</option>
          </select>
        </label>
        <span className="muted">
          {timeline.builds.size} builds{timeline.exhausted ? "" : "+"}
        </span>
        {timeline.error && <span className="control-error">{timeline.error}</span>}
      </div>
      {loaded && !builders.length ? (
        <Empty>No builder matches.</Empty>
      ) : (
        <div className="matrix" ref={ref} onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, left: e.currentTarget.scrollLeft })} data-testid="waterfall-view">
          <div className="matrix-inner" style={{ width: AXIS + builders.length * COL, height: HEAD + layout.height + 40 }}>
            {items}
          </div>
        </div>
      )}
    </div>
  );
}
