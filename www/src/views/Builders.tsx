// Builders: each builder's last builds, running and pending counts; tag
// filter, search box and the inactive builders toggle kept in the URL
// (`?tags=a,b&q=text&inactive=1`). Inactive builders are left out on the
// server unless asked for, so thousands of them are never sent.

import { href, replaceQuery, useRoute } from "../app/router";
import { BuildChip, Empty, Loaded, ResultBadge } from "../components/common";
import { InactiveToggle, isInactive, useShowInactive } from "../components/inactive";
import { useQuery } from "../data/hooks";
import type { UiBuilderSummary } from "../data/types";

export function filterBuilders(builders: UiBuilderSummary[], tags: string[], text: string): UiBuilderSummary[] {
  const q = text.trim().toLowerCase();
  return builders.filter(
    (b) =>
      tags.every((t) => b.tags.includes(t)) &&
      (!q || b.name.toLowerCase().includes(q) || (b.description ?? "").toLowerCase().includes(q) || b.tags.some((t) => t.toLowerCase().includes(q))),
  );
}

export function BuildersView() {
  const { query } = useRoute();
  const tags = (query.get("tags") ?? "").split(",").filter(Boolean);
  const text = query.get("q") ?? "";
  const showInactive = useShowInactive();
  const state = useQuery<{ builders: UiBuilderSummary[]; inactive?: number }>("ui/builders", showInactive ? { inactive: 1 } : undefined, {
    events: ["builds/*/*", "buildrequests/*/*", "builders/*/*"],
    throttleMs: 1000,
  });
  const toggleTag = (tag: string) => {
    const next = tags.includes(tag) ? tags.filter((t) => t !== tag) : [...tags, tag];
    replaceQuery({ tags: next.join(",") });
  };
  return (
    <Loaded state={state} what="builders">
      {({ builders, inactive }) => {
        const allTags = [...new Set(builders.flatMap((b) => b.tags))].sort();
        const shown = filterBuilders(builders, tags, text).sort((a, b) => a.name.localeCompare(b.name));
        return (
          <div className="page">
            <section className="panel">
              <div className="toolbar">
                <h1>Builders</h1>
                <input
                  type="search"
                  placeholder="search builders"
                  value={text}
                  onChange={(e) => replaceQuery({ q: e.target.value })}
                  data-testid="builders-search"
                />
                <span className="tags" data-testid="tag-filter">
                  {allTags.map((t) => (
                    <button key={t} type="button" className={`tag${tags.includes(t) ? " on" : ""}`} onClick={() => toggleTag(t)} data-testid="tag">
                      {t}
                    </button>
                  ))}
                </span>
                <span className="muted">
                  {shown.length} of {builders.length}
                </span>
                <InactiveToggle shown={showInactive} hidden={inactive} />
              </div>
              {shown.length ? (
                <table className="grid-table" data-testid="builders-table">
                  <thead>
                    <tr>
                      <th>Builder</th>
                      <th>Last result</th>
                      <th>Recent builds</th>
                      <th>Running</th>
                      <th>Pending</th>
                      <th>Tags</th>
                      <th className="wide">Description</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((b) => {
                      const last = b.last_builds[0];
                      return (
                        <tr key={b.builderid} className={isInactive(b) ? "inactive" : undefined} data-testid="builder-row" data-builderid={b.builderid}>
                          <td>
                            <a href={href(`builders/${b.builderid}`)}>{b.name}</a>
                            {isInactive(b) ? <span className="muted"> (inactive)</span> : null}
                          </td>
                          <td>{last ? <ResultBadge results={last.results} /> : <span className="muted">no builds</span>}</td>
                          <td>
                            <span className="tags">
                              {b.last_builds.map((build) => (
                                <BuildChip key={build.buildid} build={{ ...build, buildername: b.name }} />
                              ))}
                            </span>
                          </td>
                          <td>{b.running || ""}</td>
                          <td>{b.pending || ""}</td>
                          <td>
                            <span className="tags">
                              {b.tags.map((t) => (
                                <span key={t} className={`tag${tags.includes(t) ? " on" : ""}`} onClick={() => toggleTag(t)}>
                                  {t}
                                </span>
                              ))}
                            </span>
                          </td>
                          <td className="wide ellipsis muted" title={b.description ?? ""}>
                            {b.description}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              ) : (
                <Empty>No builder matches.</Empty>
              )}
            </section>
          </div>
        );
      }}
    </Loaded>
  );
}
