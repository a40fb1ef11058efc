// Server-side search through one log (`logs/N/search`): matches come in
// batches in line order; "next" walks them, fetching the next batch when it
// runs out, and wraps to the first match at the end; "previous" walks back
// through what was fetched.

import type { LogSearchResult } from "../data/types";

export interface SearchQuery {
  q: string;
  regex: boolean;
  caseSensitive: boolean;
}

export type SearchFetch = (query: SearchQuery, from: number, limit: number) => Promise<LogSearchResult>;

export const ERROR_PATTERN = "(?i)\\b(error|failed|failure)\\b";

export class LogSearch {
  matches: { line: number; text: string }[] = [];
  /** Index of the current match, -1 before the first. */
  index = -1;
  more = false;
  private nextFrom = 0;

  constructor(
    readonly query: SearchQuery,
    private readonly fetch: SearchFetch,
    private readonly batch = 100,
  ) {}

  get current(): { line: number; text: string } | null {
    return this.matches[this.index] ?? null;
  }

  /** Fetch the first batch; the current match becomes the first at or after `fromLine`, if fetched. */
  async start(fromLine = 0): Promise<void> {
    await this.fetchMore(0);
    const at = this.matches.findIndex((m) => m.line >= fromLine);
    this.index = this.matches.length ? Math.max(0, at) : -1;
  }

  async next(): Promise<void> {
    if (this.index + 1 < this.matches.length) {
      this.index += 1;
      return;
    }
    if (this.more) {
      const before = this.matches.length;
      await this.fetchMore(this.nextFrom);
      if (this.matches.length > before) {
        this.index = before;
        return;
      }
    }
    if (this.matches.length) this.index = 0;
  }

  previous(): void {
    if (this.index > 0) this.index -= 1;
    else if (!this.more && this.matches.length) this.index = this.matches.length - 1;
  }

  /** Fetch from `from` until a batch brings matches or the log ends: the server stops
   * after a bounded amount of text per request, so a batch may be empty with more to come. */
  private async fetchMore(from: number): Promise<void> {
    let at = from;
    for (;;) {
      const result = await this.fetch(this.query, at, this.batch);
      this.matches.push(...result.matches);
      this.more = result.meta.more;
      this.nextFrom = result.meta.next ?? 0;
      if (result.matches.length || !this.more) return;
      // a server that does not move on would keep this loop going forever
      if (result.meta.next === null || result.meta.next <= at) {
        this.more = false;
        return;
      }
      at = this.nextFrom;
    }
  }
}

/**
 * The first line matching the error pattern. The caller's search leaves out
 * header lines (`streams=oe` for a stdio log), since the header repeats the
 * command, which often says "error" itself. Goes on through batches the
 * server ended early without a match (its per-request scan budget).
 */
export async function findFirstError(search: (from: number) => Promise<LogSearchResult>): Promise<number | null> {
  let from = 0;
  for (;;) {
    const result = await search(from);
    if (result.matches.length) return result.matches[0].line;
    if (!result.meta.more || result.meta.next === null || result.meta.next <= from) return null;
    from = result.meta.next;
  }
}
