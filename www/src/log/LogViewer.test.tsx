import { act } from "react";
import { afterEach, describe, expect, it } from "vitest";
import type { Log } from "../data/types";
import { FakeFetch } from "../test/fakes";
import { byTestId, click, oneByTestId, render, settle, type Rendered } from "../test/render";
import { LogViewer } from "./LogViewer";

const bigLog: Log = { logid: 7, stepid: 2, name: "stdio", slug: "stdio", type: "s", complete: true, num_lines: 1_000_000 };

/** A server for a log whose line n is "o line n" (stderr on multiples of 1000). */
function logServer(numLines: () => number) {
  return new FakeFetch()
    .on(/^logs\/7\/contents/, (req) => {
      const q = new URLSearchParams(req.url.split("?")[1]);
      const offset = Number(q.get("offset"));
      const limit = Number(q.get("limit"));
      const end = Math.min(numLines(), offset + limit);
      const lines = [];
      for (let n = offset; n < end; n++) lines.push(n % 1000 === 999 ? `eerror: step ${n} failed` : `oline ${n}`);
      return { body: { logchunks: [{ logid: 7, firstline: offset, content: lines.map((l) => `${l}\n`).join("") }], meta: {} } };
    })
    .on(/^logs\/7\/search/, (req) => {
      const q = new URLSearchParams(req.url.split("?")[1]);
      const from = Number(q.get("from"));
      const first = Math.max(999, Math.ceil((from - 999) / 1000) * 1000 + 999);
      return { body: { matches: [{ line: first, text: `error: step ${first} failed` }], meta: { more: true, next: first + 1 } } };
    });
}

let r: Rendered | null = null;
afterEach(() => {
  r?.unmount();
  r = null;
});

describe("LogViewer", () => {
  it("draws only the lines in view of a million-line log and loads one page", async () => {
    const fake = logServer(() => 1_000_000);
    r = await render(<LogViewer log={bigLog} height="400px" />, { fake });
    await settle(40);
    const lines = byTestId(r.container, "log-line");
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.length).toBeLessThan(60);
    expect(lines[0].textContent).toBe("1line 0");
    expect(fake.gets("logs/7/contents")).toEqual(["logs/7/contents?offset=0&limit=1000"]);
    expect(oneByTestId(r.container, "log-num-lines").textContent).toContain("1,000,000 lines");
  });

  it("jumps to the first error found by the server's search", async () => {
    const fake = logServer(() => 1_000_000);
    r = await render(<LogViewer log={bigLog} height="400px" />, { fake });
    await click(oneByTestId(r.container, "log-first-error"));
    await settle(40);
    const search = fake.gets("logs/7/search")[0];
    const params = new URLSearchParams(search.split("?")[1]);
    expect(params.get("regex")).toBe("true");
    expect(params.get("from")).toBe("0");
    expect(new RegExp(params.get("q")!.replace("(?i)", ""), "i").test("Build FAILED")).toBe(true);
    const current = r.container.querySelector<HTMLElement>(".log-line.current")!;
    expect(current.dataset.line).toBe("999");
    expect(current.classList.contains("s-e")).toBe(true);
    expect(current.textContent).toContain("error: step 999 failed");
  });

  it("follows a running log as append events arrive", async () => {
    let available = 30;
    const fake = logServer(() => available);
    const running: Log = { ...bigLog, complete: false, num_lines: 30 };
    r = await render(<LogViewer log={running} height="400px" />, { fake });
    await settle(40);
    expect(r.ws().commands("startConsuming")).toContain("logs/7/*");
    available = 5000;
    await act(async () => r!.ws().receive({ k: "logs/7/append", m: { logid: 7, first_line: 30, last_line: 4999, num_lines: 5000 } }));
    await settle(40);
    const lines = byTestId(r.container, "log-line");
    expect(lines[lines.length - 1].dataset.line).toBe("4999");
    expect(lines[lines.length - 1].textContent).toBe("5000error: step 4999 failed");
    expect(oneByTestId(r.container, "log-num-lines").textContent).toContain("5,000 lines · running");
    // only the missing lines were asked for
    expect(fake.gets("logs/7/contents")).toContain("logs/7/contents?offset=30&limit=970");
  });

  it("renders ANSI colours and marks stderr lines", async () => {
    const fake = new FakeFetch().on(/^logs\/9\/contents/, {
      body: { logchunks: [{ logid: 9, firstline: 0, content: "o\x1b[32mok\x1b[0m done\neboom\n" }] },
    });
    const log: Log = { ...bigLog, logid: 9, num_lines: 2 };
    r = await render(<LogViewer log={log} height="400px" />, { fake });
    await settle(40);
    const [first, second] = byTestId(r.container, "log-line");
    const green = first.querySelector<HTMLElement>(".txt span")!;
    expect(green.textContent).toBe("ok");
    expect(green.style.color).not.toBe("");
    expect(first.textContent).toBe("1ok done");
    expect(second.classList.contains("s-e")).toBe(true);
  });
});
