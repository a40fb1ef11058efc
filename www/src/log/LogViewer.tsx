// The log viewer: draws only the lines in view, loads them page by page
// from `logs/N/contents`, follows the end of a running log through
// `logs/N/append` events, searches on the server and jumps to the first error.

import { useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore, type CSSProperties, type FormEvent } from "react";
import { replaceQuery } from "../app/router";
import { useEvents, useServices } from "../data/hooks";
import type { RestClient } from "../data/rest";
import type { Log, LogChunk, LogSearchResult } from "../data/types";
import { parseAnsi, type Span } from "./ansi";
import { ERROR_PATTERN, findFirstError, LogSearch, type SearchQuery } from "./search";
import { LogStore, splitContent, type LogLine } from "./store";
import { bottomScrollTop, layout, scrollTopFor } from "./viewport";

export const LINE_HEIGHT = 16;

/** Lines [offset, offset+limit) of a log, from however many chunks the server sends. */
export async function fetchLines(
  rest: RestClient,
  logid: number,
  offset: number,
  limit: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const body = await rest.get<{ logchunks: LogChunk[] }>(`logs/${logid}/contents`, { offset, limit }, signal);
  const chunks = [...(body.logchunks ?? [])].sort((a, b) => a.firstline - b.firstline);
  const lines: string[] = [];
  for (const chunk of chunks) {
    const chunkLines = splitContent(chunk.content);
    for (let i = 0; i < chunkLines.length; i++) {
      const n = chunk.firstline + i;
      if (n === offset + lines.length && lines.length < limit) lines.push(chunkLines[i]);
    }
  }
  return lines;
}

function spanStyle(span: Span): CSSProperties | undefined {
  let { fg, bg } = span;
  if (span.inverse) [fg, bg] = [bg ?? "#1b1f24", fg ?? "#d4d9df"];
  if (!fg && !bg) return undefined;
  return { color: fg, background: bg };
}

function spanClass(span: Span): string | undefined {
  const c = `${span.bold ? "a-b " : ""}${span.dim ? "a-d " : ""}${span.italic ? "a-i " : ""}${span.underline ? "a-u" : ""}`.trim();
  return c || undefined;
}

export function LineText({ text }: { text: string }) {
  const spans = parseAnsi(text);
  if (spans.length === 1 && !spans[0].fg && !spans[0].bg && !spanClass(spans[0])) return <>{spans[0].text}</>;
  return (
    <>
      {spans.map((span, i) => (
        <span key={i} style={spanStyle(span)} className={spanClass(span)}>
          {span.text}
        </span>
      ))}
    </>
  );
}

interface Props {
  log: Log;
  /** CSS height of the scrolled area. */
  height: string;
  /** 0-based line to show first (and highlight). */
  initialLine?: number | null;
  /** Keep the line in the page's URL (`?line=`) when one is clicked. */
  linkLines?: boolean;
}

export function LogViewer(props: Props) {
  if (props.log.type === "h") return <HtmlLog log={props.log} />;
  return <TextLog {...props} />;
}

function TextLog({ log, height, initialLine = null, linkLines = false }: Props) {
  const { rest, socket } = useServices();
  const logid = log.logid;
  const store = useMemo(
    () =>
      new LogStore({
        load: (offset, limit, signal) => fetchLines(rest, logid, offset, limit, signal),
        numLines: log.num_lines,
        streams: log.type === "s",
      }),
    // a new store only for another log; growth comes through setNumLines
    [rest, logid],
  );
  useEffect(() => () => store.dispose(), [store]);
  useSyncExternalStore(
    (notify) => store.subscribe(notify),
    () => store.version,
  );
  const [complete, setComplete] = useState(log.complete);
  const numLines = store.numLines;
  useEffect(() => {
    store.setNumLines(log.num_lines);
    setComplete(log.complete);
  }, [store, log.num_lines, log.complete]);

  // growth and completion
  const refresh = useMemo(
    () => () => {
      rest
        .one<Log>(`logs/${logid}`)
        .then((fresh) => {
          store.setNumLines(fresh.num_lines);
          setComplete(fresh.complete);
        })
        .catch(() => {});
    },
    [rest, logid, store],
  );
  useEvents([`logs/${logid}/*`], (event) => {
    const what = event.k.split("/")[2];
    const m = event.m as { num_lines?: number; last_line?: number };
    if (what === "append") {
      const n = typeof m.num_lines === "number" ? m.num_lines : typeof m.last_line === "number" ? m.last_line + 1 : null;
      if (n !== null) store.setNumLines(n);
      else refresh();
    } else if (what === "finished") {
      setComplete(true);
      refresh();
    }
  });
  useEffect(() => socket.onReconnect(refresh), [socket, refresh]);

  // scrolling
  const scrollRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(400);
  const [follow, setFollow] = useState(!log.complete && initialLine === null);
  const [highlight, setHighlight] = useState<number | null>(initialLine);
  const pendingJump = useRef<number | null>(initialLine);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const measure = () => setViewHeight(el.clientHeight || 400);
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const setScroll = (top: number) => {
    const el = scrollRef.current;
    if (el) el.scrollTop = top;
    setScrollTop(top);
  };

  const goTo = (line: number) => {
    setFollow(false);
    setHighlight(line);
    setScroll(scrollTopFor(Math.max(0, line - 5), viewHeight, store.numLines, LINE_HEIGHT));
  };

  useLayoutEffect(() => {
    if (pendingJump.current !== null && numLines > 0) {
      const line = pendingJump.current;
      pendingJump.current = null;
      goTo(line);
    } else if (follow && !complete) {
      setScroll(bottomScrollTop(viewHeight, numLines, LINE_HEIGHT));
    }
    // runs when the log grows, the view resizes, or following is switched
  }, [numLines, follow, complete, viewHeight]);

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    if (!complete) {
      const atBottom = el.scrollTop >= bottomScrollTop(el.clientHeight || viewHeight, store.numLines, LINE_HEIGHT) - LINE_HEIGHT;
      if (atBottom !== follow) setFollow(atBottom);
    }
  };

  const lay = layout(scrollTop, viewHeight, numLines, LINE_HEIGHT);
  // load a little ahead, after the scrolling pauses for a moment
  useEffect(() => {
    const margin = Math.floor(store.pageSize / 4);
    const timer = setTimeout(() => store.ensure(lay.first - margin, lay.last + margin), 30);
    return () => clearTimeout(timer);
  }, [store, lay.first, lay.last, numLines]);

  // search
  const [searchText, setSearchText] = useState("");
  const [regex, setRegex] = useState(false);
  const [caseSensitive, setCaseSensitive] = useState(false);
  const [search, setSearch] = useState<LogSearch | null>(null);
  const [searchTick, setSearchTick] = useState(0);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const searchFetch = (query: SearchQuery, from: number, limit: number) =>
    rest.get<LogSearchResult>(`logs/${logid}/search`, {
      q: query.q,
      regex: query.regex,
      case: query.caseSensitive,
      from,
      limit,
    });

  const runSearch = async (step: (s: LogSearch) => Promise<void> | void, s: LogSearch) => {
    setSearchError(null);
    try {
      await step(s);
      setSearch(s);
      setSearchTick((t) => t + 1);
      if (s.current) goTo(s.current.line);
    } catch (e) {
      setSearchError((e as Error).message);
    }
  };

  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    if (!searchText) {
      setSearch(null);
      return;
    }
    const q = search?.query;
    if (q && q.q === searchText && q.regex === regex && q.caseSensitive === caseSensitive) {
      void runSearch((s) => s.next(), search!);
    } else {
      const s = new LogSearch({ q: searchText, regex, caseSensitive }, searchFetch);
      void runSearch((x) => x.start(lay.first), s);
    }
  };

  const firstError = async () => {
    setNotice(null);
    try {
      const line = await findFirstError((from) =>
        rest.get<LogSearchResult>(`logs/${logid}/search`, {
          q: ERROR_PATTERN,
          regex: true,
          from,
          limit: 1,
          // not in the header, which repeats the command
          ...(log.type === "s" ? { streams: "oe" } : {}),
        }),
      );
      if (line !== null) goTo(line);
      else setNotice("no error found");
    } catch (e) {
      setNotice((e as Error).message);
    }
  };

  const hits = useMemo(() => new Set(search?.matches.map((m) => m.line) ?? []), [search, searchTick]);
  const current = search?.current?.line ?? null;

  const rows = [];
  for (let n = lay.first; n <= lay.last; n++) {
    const line: LogLine | undefined = store.line(n);
    const classes = ["log-line"];
    if (line) classes.push(`s-${line.stream || "o"}`);
    else classes.push("loading");
    if (n === current || n === highlight) classes.push("current");
    else if (hits.has(n)) classes.push("hit");
    rows.push(
      <div key={n} className={classes.join(" ")} data-testid="log-line" data-line={n}>
        <span
          className="ln"
          onClick={() => {
            setHighlight(n);
            if (linkLines) replaceQuery({ line: n + 1 });
          }}
        >
          {n + 1}
        </span>
        <span className="txt">{line ? <LineText text={line.text} /> : (store.errorAt(n) ?? "…")}</span>
      </div>,
    );
  }

  return (
    <div className="log-viewer" data-testid="log-viewer" data-logid={logid}>
      <div className="log-toolbar">
        <b>{log.name}</b>
        <span className="muted" data-testid="log-num-lines">
          {numLines.toLocaleString("en-US")} lines{complete ? "" : " · running"}
        </span>
        {!complete && (
          <label>
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} data-testid="log-follow" /> follow
          </label>
        )}
        <button type="button" onClick={() => goTo(0)}>
          Top
        </button>
        <button
          type="button"
          onClick={() => {
            setScroll(bottomScrollTop(viewHeight, numLines, LINE_HEIGHT));
            if (!complete) setFollow(true);
          }}
        >
          End
        </button>
        <button type="button" onClick={firstError} data-testid="log-first-error">
          First error
        </button>
        <form className="control" onSubmit={submitSearch} role="search">
          <input
            type="search"
            placeholder="search the log"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && e.shiftKey && search) {
                e.preventDefault();
                void runSearch((s) => s.previous(), search);
              }
            }}
            data-testid="log-search"
          />
          <label title="regular expression">
            <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} /> .*
          </label>
          <label title="match case">
            <input type="checkbox" checked={caseSensitive} onChange={(e) => setCaseSensitive(e.target.checked)} /> Aa
          </label>
          <button type="button" disabled={!search} onClick={() => search && runSearch((s) => s.previous(), search)} data-testid="log-search-prev">
            ‹
          </button>
          <button type="submit" data-testid="log-search-next">
            ›
          </button>
          {search && (
            <span className="muted" data-testid="log-search-status">
              {search.matches.length ? `${search.index + 1} of ${search.matches.length}${search.more ? "+" : ""}` : "no match"}
            </span>
          )}
          {searchError && <span className="control-error">{searchError}</span>}
        </form>
        {notice && <span className="muted" data-testid="log-notice">{notice}</span>}
        <span className="spacer" />
        <a href={rest.url(`logs/${logid}/raw_inline`)} target="_blank" rel="noreferrer">
          view raw
        </a>
        <a href={rest.url(`logs/${logid}/raw`)} download data-testid="log-download">
          download
        </a>
      </div>
      <div className="log-scroll" ref={scrollRef} style={{ height }} onScroll={onScroll} tabIndex={0} data-testid="log-scroll">
        <div style={{ height: lay.totalHeight, position: "relative" }}>
          <div className="log-window" style={{ top: lay.top }}>
            {rows}
          </div>
        </div>
        {numLines === 0 && <div className="empty">{complete ? "This log is empty." : "Waiting for output…"}</div>}
      </div>
    </div>
  );
}

/** An HTML log, shown in a sandbox that runs no script. */
function HtmlLog({ log }: { log: Log }) {
  const { rest } = useServices();
  const [html, setHtml] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    fetchLines(rest, log.logid, 0, 50_000, controller.signal)
      .then((lines) => setHtml(lines.join("\n")))
      .catch(() => setHtml("<p>could not load this log</p>"));
    return () => controller.abort();
  }, [rest, log.logid, log.num_lines]);
  return (
    <div className="log-viewer" data-testid="log-viewer" data-logid={log.logid}>
      <div className="log-toolbar">
        <b>{log.name}</b>
      </div>
      {html === null ? <div className="loading">Loading…</div> : <iframe className="log-html" sandbox="" srcDoc={html} title={log.name} />}
    </div>
  );
}
