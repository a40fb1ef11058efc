// Which lines a scrolled log shows. Lines have one fixed height, so the
// spacer is numLines × lineHeight tall, and only the lines inside the view
// (plus a margin) are drawn. Browsers cap an element's height (about 17.9
// million px in Firefox), so past MAX_SCROLL_PX the spacer stays at that
// height and the scroll position maps to a line proportionally.

export const MAX_SCROLL_PX = 15_000_000;

export interface Layout {
  /** Height of the scrolled spacer. */
  totalHeight: number;
  /** First and last line to draw (last < first when there is none). */
  first: number;
  last: number;
  /** Where the first drawn line sits inside the spacer. */
  top: number;
}

export function visibleCount(viewHeight: number, lineHeight: number): number {
  return Math.max(1, Math.ceil(viewHeight / lineHeight));
}

export function layout(
  scrollTop: number,
  viewHeight: number,
  numLines: number,
  lineHeight: number,
  maxPx = MAX_SCROLL_PX,
  margin = 10,
): Layout {
  const content = numLines * lineHeight;
  const count = visibleCount(viewHeight, lineHeight);
  if (numLines <= 0) return { totalHeight: 0, first: 0, last: -1, top: 0 };
  if (content <= maxPx) {
    const top = Math.max(0, Math.min(scrollTop, content));
    const firstVisible = Math.floor(top / lineHeight);
    const first = Math.max(0, firstVisible - margin);
    const last = Math.min(numLines - 1, firstVisible + count + margin);
    return { totalHeight: content, first, last, top: first * lineHeight };
  }
  const scrollable = Math.max(1, maxPx - viewHeight);
  const maxFirst = Math.max(0, numLines - count);
  const ratio = Math.max(0, Math.min(1, scrollTop / scrollable));
  const firstVisible = Math.round(ratio * maxFirst);
  const first = Math.max(0, firstVisible - margin);
  const last = Math.min(numLines - 1, firstVisible + count + margin);
  // the drawn lines are placed so that firstVisible sits at the top of the view
  const top = Math.max(0, Math.min(scrollTop, maxPx - viewHeight)) - (firstVisible - first) * lineHeight;
  return { totalHeight: maxPx, first, last, top };
}

/** The scrollTop that puts `line` at the top of the view (or as near as it goes). */
export function scrollTopFor(
  line: number,
  viewHeight: number,
  numLines: number,
  lineHeight: number,
  maxPx = MAX_SCROLL_PX,
): number {
  const content = numLines * lineHeight;
  if (content <= maxPx) return Math.max(0, Math.min(line * lineHeight, content - viewHeight));
  const maxFirst = Math.max(1, numLines - visibleCount(viewHeight, lineHeight));
  return (Math.max(0, Math.min(line, maxFirst)) / maxFirst) * Math.max(1, maxPx - viewHeight);
}

/** The scrollTop of the very end. */
export function bottomScrollTop(viewHeight: number, numLines: number, lineHeight: number, maxPx = MAX_SCROLL_PX): number {
  return Math.max(0, Math.min(numLines * lineHeight, maxPx) - viewHeight);
}
