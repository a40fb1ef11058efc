// What the console, grid and waterfall views share: the builders shown (tag
// filter and inactive builders toggle in the URL) and the coloured cell of a
// build or pending request.

import { useMemo, type CSSProperties } from "react";
import { href, replaceQuery, useRoute } from "../app/router";
import { InactiveToggle, useShowInactive } from "../components/inactive";
import { useList } from "../data/hooks";
import type { Build, Builder } from "../data/types";
import { resultClass } from "../results";

export function useShownBuilders(): { builders: Builder[]; allTags: string[]; tags: string[]; loaded: boolean } {
  const { query } = useRoute();
  const tagText = query.get("tags") ?? "";
  // builders no master configures any more are left out on the server unless asked for
  const state = useList<Builder>("builders", useShowInactive() ? undefined : { active: true }, { events: ["builders/*/*"], throttleMs: 2000 });
  const items = state.data?.items;
  // memoized: the views recompute their layout when this changes, not on every scroll
  return useMemo(() => {
    const tags = tagText.split(",").filter(Boolean);
    const all = [...(items ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    const allTags = [...new Set(all.flatMap((b) => b.tags))].sort();
    return { builders: all.filter((b) => tags.every((t) => b.tags.includes(t))), allTags, tags, loaded: items !== undefined };
  }, [items, tagText]);
}

/** The tag buttons and the inactive builders toggle above a matrix view. */
export function TagFilter({ allTags, tags }: { allTags: string[]; tags: string[] }) {
  const showInactive = useShowInactive();
  if (!allTags.length) return <InactiveToggle shown={showInactive} />;
  return (
    <>
      <span className="tags" data-testid="tag-filter">
        {allTags.map((t) => (
          <button
            key={t}
            type="button"
            className={`tag${tags.includes(t) ? " on" : ""}`}
            onClick={() => replaceQuery({ tags: (tags.includes(t) ? tags.filter((x) => x !== t) : [...tags, t]).join(",") })}
          >
            {t}
          </button>
        ))}
      </span>
      <InactiveToggle shown={showInactive} />
    </>
  );
}

export function BuildCell({ build, label, style }: { build: Build; label?: string; style?: CSSProperties }) {
  return (
    <a
      className={`cell ${resultClass(build.results)}`}
      href={href(`builds/${build.buildid}`)}
      title={`#${build.number}: ${build.state_string}`}
      style={style ?? { inset: 1 }}
      data-testid="matrix-cell"
      data-buildid={build.buildid}
    >
      {label ?? `#${build.number}`}
    </a>
  );
}

export function PendingCell() {
  return (
    <span className="cell res-pending" style={{ inset: 1 }} title="pending" data-testid="matrix-cell">
      …
    </span>
  );
}
