// The lines of one log, kept as a window of pages: a million-line log is
// read a page at a time, only the pages near what is shown are kept, and a
// running log grows in place.
//
// Invariants:
// - a page holds lines [index*pageSize, index*pageSize + lines.length), in order;
//   a page shorter than pageSize is the log's last page, or still loading;
// - at most `maxPages` pages are kept: the least recently wanted go first,
//   and the pages of the range last asked for are never evicted;
// - a request for a page that is no longer wanted is aborted, so that
//   scrolling fast through a log leaves no queue of stale requests.

export interface LogLine {
  /** The line without its stream character. */
  text: string;
  /** 'o' stdout, 'e' stderr, 'h' header; '' for logs without streams. */
  stream: string;
}

/** Lines [offset, offset+limit) of the log (fewer at its end). */
export type LineLoader = (offset: number, limit: number, signal: AbortSignal) => Promise<string[]>;

interface Page {
  index: number;
  lines: LogLine[];
  /** The request filling this page, if one runs. */
  request: AbortController | null;
  error: string | null;
}

export interface LogStoreOptions {
  load: LineLoader;
  numLines: number;
  /** Lines start with a stream character (stdio logs). */
  streams: boolean;
  pageSize?: number;
  maxPages?: number;
}

export function splitContent(content: string): string[] {
  if (!content) return [];
  const lines = content.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export class LogStore {
  readonly pageSize: number;
  readonly maxPages: number;
  numLines: number;
  /** Bumped on every change that may alter what is drawn. */
  version = 0;
  private readonly load: LineLoader;
  private readonly streams: boolean;
  /** In least- to most-recently wanted order (a Map keeps insertion order). */
  private readonly pages = new Map<number, Page>();
  private readonly listeners = new Set<() => void>();
  private wanted: [number, number] = [0, -1];

  constructor(options: LogStoreOptions) {
    this.load = options.load;
    this.numLines = options.numLines;
    this.streams = options.streams;
    this.pageSize = options.pageSize ?? 1000;
    this.maxPages = Math.max(2, options.maxPages ?? 40);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Line n, or undefined while it is not loaded. */
  line(n: number): LogLine | undefined {
    const page = this.pages.get(Math.floor(n / this.pageSize));
    return page?.lines[n - page.index * this.pageSize];
  }

  /** The error of the page holding line n, if its last load failed. */
  errorAt(n: number): string | null {
    return this.pages.get(Math.floor(n / this.pageSize))?.error ?? null;
  }

  /** How many pages (loaded or loading) are kept. */
  get pageCount(): number {
    return this.pages.size;
  }

  /** How many lines are held in memory. */
  get loadedLines(): number {
    let n = 0;
    for (const page of this.pages.values()) n += page.lines.length;
    return n;
  }

  /** The log has grown (an append event, or the log entity read again). */
  setNumLines(numLines: number): void {
    if (numLines <= this.numLines) return;
    this.numLines = numLines;
    this.changed();
    // fill the pages being shown now
    this.ensure(this.wanted[0], this.wanted[1]);
  }

  /** Make lines [first, last] available: load what is missing, evict what is far. */
  ensure(first: number, last: number): void {
    last = Math.min(last, this.numLines - 1);
    first = Math.max(0, first);
    this.wanted = [first, last];
    if (last < first) return;
    const firstPage = Math.floor(first / this.pageSize);
    const lastPage = Math.floor(last / this.pageSize);

    // abort requests for pages that are not wanted any more
    for (const page of [...this.pages.values()]) {
      if ((page.index < firstPage || page.index > lastPage) && page.request) {
        page.request.abort();
        page.request = null;
        if (!page.lines.length) this.pages.delete(page.index);
      }
    }
    for (let index = firstPage; index <= lastPage; index++) {
      let page = this.pages.get(index);
      if (page) {
        this.pages.delete(index); // re-insert: most recently wanted
      } else {
        page = { index, lines: [], request: null, error: null };
      }
      this.pages.set(index, page);
      this.fill(page);
    }
    this.evict(firstPage, lastPage);
  }

  /**
   * Drop every page and abort every request (the log's view is gone). Not
   * final: a later `ensure` loads again, as React may mount a view twice.
   */
  dispose(): void {
    for (const page of this.pages.values()) page.request?.abort();
    this.pages.clear();
  }

  /** Drop the pages and load again what was last wanted (after a reconnect). */
  reload(): void {
    for (const page of this.pages.values()) page.request?.abort();
    this.pages.clear();
    this.changed();
    this.ensure(this.wanted[0], this.wanted[1]);
  }

  private expected(page: Page): number {
    return Math.max(0, Math.min(this.pageSize, this.numLines - page.index * this.pageSize));
  }

  private fill(page: Page): void {
    if (page.request || page.lines.length >= this.expected(page)) return;
    const start = page.index * this.pageSize + page.lines.length;
    const limit = this.expected(page) - page.lines.length;
    const controller = new AbortController();
    page.request = controller;
    page.error = null;
    this.load(start, limit, controller.signal).then(
      (raw) => {
        if (page.request !== controller) return;
        page.request = null;
        if (this.pages.get(page.index) !== page) return;
        if (page.index * this.pageSize + page.lines.length !== start) return;
        for (const text of raw.slice(0, this.pageSize - page.lines.length)) page.lines.push(this.parse(text));
        this.changed();
        // lines may have arrived while this request ran
        if (raw.length && page.lines.length < this.expected(page)) {
          const [first, last] = this.wanted;
          const wantedPage = page.index >= Math.floor(first / this.pageSize) && page.index <= Math.floor(last / this.pageSize);
          if (wantedPage) this.fill(page);
        }
      },
      (error: unknown) => {
        if (page.request !== controller) return;
        page.request = null;
        if (controller.signal.aborted) return;
        page.error = error instanceof Error ? error.message : String(error);
        this.changed();
      },
    );
  }

  private parse(raw: string): LogLine {
    if (!this.streams) return { text: raw, stream: "" };
    return { text: raw.slice(1), stream: raw.charAt(0) };
  }

  private evict(firstPage: number, lastPage: number): void {
    if (this.pages.size <= this.maxPages) return;
    for (const page of [...this.pages.values()]) {
      if (this.pages.size <= this.maxPages) break;
      if (page.index >= firstPage && page.index <= lastPage) continue;
      page.request?.abort();
      this.pages.delete(page.index);
    }
  }

  private changed(): void {
    this.version += 1;
    for (const listener of [...this.listeners]) listener();
  }
}
