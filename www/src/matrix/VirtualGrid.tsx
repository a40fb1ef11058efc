// A scrolled grid that draws only the cells in view, with row and column
// headers that stay in place. The console and grid views draw 100 builders
// × thousands of buildsets with it; `onEnd` asks for more when the far end
// of the paged axis comes into view.

import { useLayoutEffect, useRef, useState, type ReactNode } from "react";

export interface Range {
  first: number;
  last: number;
}

/** The items of one axis in view, plus `overscan` on each side. */
export function visibleRange(scroll: number, view: number, size: number, count: number, overscan = 2): Range {
  if (count <= 0) return { first: 0, last: -1 };
  const first = Math.max(0, Math.floor(scroll / size) - overscan);
  const last = Math.min(count - 1, Math.ceil((scroll + view) / size) + overscan);
  return { first, last };
}

export function VirtualGrid({
  rows,
  cols,
  rowHeight,
  colWidth,
  rowHeaderWidth,
  colHeaderHeight,
  cell,
  rowHeader,
  colHeader,
  corner,
  onEnd,
  endAxis = "rows",
  testid,
}: {
  rows: number;
  cols: number;
  rowHeight: number;
  colWidth: number;
  rowHeaderWidth: number;
  colHeaderHeight: number;
  cell: (row: number, col: number) => ReactNode;
  rowHeader: (row: number) => ReactNode;
  colHeader: (col: number) => ReactNode;
  corner?: ReactNode;
  onEnd?: () => void;
  endAxis?: "rows" | "cols";
  testid?: string;
}) {
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

  const rowRange = visibleRange(scroll.top, size.height - colHeaderHeight, rowHeight, rows);
  const colRange = visibleRange(scroll.left, size.width - rowHeaderWidth, colWidth, cols);

  const atEnd = endAxis === "rows" ? rowRange.last >= rows - 1 : colRange.last >= cols - 1;
  const onEndRef = useRef(onEnd);
  onEndRef.current = onEnd;
  useLayoutEffect(() => {
    if (atEnd) onEndRef.current?.();
  }, [atEnd, rows, cols]);

  const items: ReactNode[] = [];
  for (let r = rowRange.first; r <= rowRange.last; r++) {
    for (let c = colRange.first; c <= colRange.last; c++) {
      const content = cell(r, c);
      if (content === null) continue;
      items.push(
        <div
          key={`${r}:${c}`}
          style={{ position: "absolute", top: colHeaderHeight + r * rowHeight, left: rowHeaderWidth + c * colWidth, width: colWidth, height: rowHeight, padding: 1 }}
        >
          {content}
        </div>,
      );
    }
    items.push(
      <div
        key={`r${r}`}
        className="rowhead"
        style={{ top: colHeaderHeight + r * rowHeight, left: scroll.left, width: rowHeaderWidth, height: rowHeight, zIndex: 3 }}
      >
        {rowHeader(r)}
      </div>,
    );
  }
  for (let c = colRange.first; c <= colRange.last; c++) {
    items.push(
      <div
        key={`c${c}`}
        className="colhead"
        style={{ top: scroll.top, left: rowHeaderWidth + c * colWidth, width: colWidth, height: colHeaderHeight, zIndex: 4 }}
      >
        {colHeader(c)}
      </div>,
    );
  }
  items.push(
    <div key="corner" className="corner" style={{ top: scroll.top, left: scroll.left, width: rowHeaderWidth, height: colHeaderHeight, zIndex: 5 }}>
      {corner}
    </div>,
  );

  return (
    <div
      className="matrix"
      ref={ref}
      onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, left: e.currentTarget.scrollLeft })}
      data-testid={testid}
    >
      <div className="matrix-inner" style={{ width: rowHeaderWidth + cols * colWidth, height: colHeaderHeight + rows * rowHeight }}>
        {items}
      </div>
    </div>
  );
}
