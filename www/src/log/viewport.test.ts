import { describe, expect, it } from "vitest";
import { MAX_SCROLL_PX, bottomScrollTop, layout, scrollTopFor } from "./viewport";

describe("layout", () => {
  it("draws the lines in view plus a margin, at their own position", () => {
    const l = layout(1600, 400, 10_000, 16, MAX_SCROLL_PX, 10);
    expect(l.totalHeight).toBe(160_000);
    expect(l.first).toBe(90); // line 100 is at the top, minus the margin
    expect(l.last).toBe(135); // 25 lines in view, plus the margin
    expect(l.top).toBe(90 * 16);
  });

  it("stops at the first and last line", () => {
    expect(layout(0, 400, 5, 16)).toMatchObject({ first: 0, last: 4, totalHeight: 80 });
    expect(layout(0, 400, 0, 16)).toMatchObject({ first: 0, last: -1, totalHeight: 0 });
  });

  it("caps the spacer for huge logs and still reaches the first and the last line", () => {
    const lines = 5_000_000;
    const top = layout(0, 400, lines, 16);
    expect(top.totalHeight).toBe(MAX_SCROLL_PX);
    expect(top.first).toBe(0);
    const bottom = layout(bottomScrollTop(400, lines, 16), 400, lines, 16);
    expect(bottom.last).toBe(lines - 1);
    const middle = layout((MAX_SCROLL_PX - 400) / 2, 400, lines, 16, MAX_SCROLL_PX, 0);
    expect(Math.abs(middle.first - (lines - 25) / 2)).toBeLessThan(2);
    // the drawn window is where the view is
    expect(middle.top).toBeCloseTo((MAX_SCROLL_PX - 400) / 2, 0);
  });

  it("draws a million lines without scaling, about 45 at a time", () => {
    const l = layout(8_000_000, 600, 1_000_000, 16);
    expect(l.totalHeight).toBe(16_000_000 > MAX_SCROLL_PX ? MAX_SCROLL_PX : 16_000_000);
    expect(l.last - l.first + 1).toBeLessThanOrEqual(60);
  });
});

describe("scrollTopFor", () => {
  it("is the inverse of layout, scaled or not", () => {
    for (const lines of [1000, 1_000_000, 5_000_000]) {
      for (const line of [0, 500, Math.floor(lines / 3)]) {
        const top = scrollTopFor(line, 400, lines, 16);
        const l = layout(top, 400, lines, 16, MAX_SCROLL_PX, 0);
        expect(Math.abs(l.first - line)).toBeLessThanOrEqual(1);
      }
    }
  });
});
