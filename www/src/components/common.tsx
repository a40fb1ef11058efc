// Small widgets every view uses: result badges, build chips, times, errors.

import type { ReactNode } from "react";
import { href } from "../app/router";
import { useNow } from "../data/hooks";
import type { ApiError } from "../data/rest";
import type { Build, Results } from "../data/types";
import { ago, dateTime, elapsed } from "../format";
import { resultClass, resultName } from "../results";

export function ResultBadge({ results, started = true, text }: { results: Results; started?: boolean; text?: string }) {
  return (
    <span className={`badge ${resultClass(results, started)}`} data-testid="result-badge" data-result={resultName(results, started)}>
      {text ?? resultName(results, started)}
    </span>
  );
}

/** `#12` coloured by its result, linking to the build. */
export function BuildChip({ build, label }: { build: Build; label?: ReactNode }) {
  return (
    <a
      className={`chip ${resultClass(build.results)}`}
      href={href(`builds/${build.buildid}`)}
      title={`${build.buildername ?? ""} #${build.number}: ${build.state_string}`.trim()}
      data-testid="build-chip"
    >
      {label ?? `#${build.number}`}
    </a>
  );
}

export function Age({ ts }: { ts: number | null | undefined }) {
  const now = useNow();
  if (!ts) return null;
  return <time title={dateTime(ts)}>{ago(ts, now)}</time>;
}

/** A duration that keeps counting while `completed` is null. */
export function Elapsed({ started, completed }: { started: number | null | undefined; completed: number | null | undefined }) {
  return completed || !started ? <span>{elapsed(started, completed, 0)}</span> : <LiveElapsed started={started} />;
}

function LiveElapsed({ started }: { started: number }) {
  const now = useNow();
  return <span className="live">{elapsed(started, null, now)}</span>;
}

export function Loading({ what }: { what?: string }) {
  return <div className="loading">Loading{what ? ` ${what}` : ""}…</div>;
}

export function ErrorBox({ error, retry }: { error: ApiError | Error; retry?: () => void }) {
  return (
    <div className="error-box" role="alert" data-testid="error">
      {error.message}
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** The body of a query: loading, error, or `children(data)`. */
export function Loaded<T>({
  state,
  children,
  what,
}: {
  state: { data: T | undefined; error: ApiError | null; refetch: () => void };
  children: (data: T) => ReactNode;
  what?: string;
}) {
  if (state.data !== undefined) {
    return (
      <>
        {state.error && <ErrorBox error={state.error} retry={state.refetch} />}
        {children(state.data)}
      </>
    );
  }
  if (state.error) return <ErrorBox error={state.error} retry={state.refetch} />;
  return <Loading what={what} />;
}

export function Pager({
  offset,
  limit,
  total,
  count,
  onChange,
}: {
  offset: number;
  limit: number;
  total: number | null;
  count: number;
  onChange: (offset: number) => void;
}) {
  const last = offset + count;
  const hasNext = total === null ? count === limit : last < total;
  return (
    <div className="pager">
      <button type="button" disabled={offset <= 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        ‹ Newer
      </button>
      <span>
        {count ? `${offset + 1}–${last}` : "none"}
        {total !== null ? ` of ${total}` : ""}
      </span>
      <button type="button" disabled={!hasNext} onClick={() => onChange(offset + limit)}>
        Older ›
      </button>
    </div>
  );
}

export function Section({ title, children, extra }: { title: ReactNode; children: ReactNode; extra?: ReactNode }) {
  return (
    <section className="panel">
      <header className="panel-head">
        <h2>{title}</h2>
        {extra}
      </header>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}
