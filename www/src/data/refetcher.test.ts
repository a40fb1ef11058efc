import { describe, expect, it } from "vitest";
import { FakeClock } from "../test/fakes";
import { Refetcher } from "./refetcher";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("Refetcher", () => {
  it("runs at once, then coalesces requests made during a load into one more load", async () => {
    const clock = new FakeClock();
    const loads: ReturnType<typeof deferred>[] = [];
    const refetcher = new Refetcher(() => {
      const d = deferred();
      loads.push(d);
      return d.promise;
    }, 300, clock);
    refetcher.request();
    expect(loads).toHaveLength(1);
    refetcher.request();
    refetcher.request();
    refetcher.request();
    expect(loads).toHaveLength(1);
    clock.advance(100);
    loads[0].resolve();
    await flush();
    expect(loads).toHaveLength(1); // waits for the interval
    clock.advance(200);
    expect(loads).toHaveLength(2);
    loads[1].resolve();
    await flush();
    clock.advance(1000);
    expect(loads).toHaveLength(2);
  });

  it("loads nothing after cancel", () => {
    const clock = new FakeClock();
    let count = 0;
    const refetcher = new Refetcher(async () => {
      count += 1;
    }, 300, clock);
    refetcher.request();
    refetcher.request();
    refetcher.cancel();
    clock.advance(1000);
    refetcher.request();
    expect(count).toBe(1);
  });
});
