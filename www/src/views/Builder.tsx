// One builder: its builds (paged), its pending requests with cancel, its
// workers, and a force button per ForceScheduler that can build on it.

import { useState } from "react";
import { href, replaceQuery, useRoute } from "../app/router";
import { BuildsTable, patchBuilds } from "../components/BuildsTable";
import { Age, Empty, Loaded, Pager, Section } from "../components/common";
import { ControlButton, useDenied } from "../components/control";
import { useList, useQuery } from "../data/hooks";
import type { Build, Builder, BuildRequest, Collection, ForceScheduler, WsEvent, Worker } from "../data/types";
import { ForceDialog } from "../force/ForceDialog";

const PAGE = 50;

function patchPage(page: Collection<Build>, event: WsEvent, builderid: number, offset: number): Collection<Build> | undefined {
  if (Number(event.m.builderid) !== builderid) return page;
  if (event.k.endsWith("/new")) return offset === 0 ? undefined : page;
  const items = patchBuilds(page.items, event);
  if (items === undefined) return undefined;
  return items === page.items ? page : { ...page, items };
}

export function ForceButtons({ builder }: { builder: Builder }) {
  const schedulers = useList<ForceScheduler>("forceschedulers", undefined, { events: ["schedulers/*/*"] });
  const [open, setOpen] = useState<ForceScheduler | null>(null);
  const denied = useDenied("forceschedulers/x", "force");
  const mine = (schedulers.data?.items ?? []).filter((s) => s.builder_names.includes(builder.name));
  if (!mine.length || (denied && !open)) return null;
  return (
    <>
      {!denied && mine.map((s) => (
        <button
          key={s.name}
          type="button"
          className="primary"
          disabled={!s.enabled}
          title={s.enabled ? undefined : "this scheduler is disabled"}
          onClick={() => setOpen(s)}
          data-testid="force-button"
          data-scheduler={s.name}
        >
          {s.button_name || s.label || "Force"}
        </button>
      ))}
      {open && <ForceDialog scheduler={open} builderid={builder.builderid} onClose={() => setOpen(null)} />}
    </>
  );
}

export function PendingRequests({ path, builderNames }: { path: string; builderNames?: Map<number, string> }) {
  const state = useList<BuildRequest>(
    path,
    { claimed: false, complete: false, order: ["-priority", "submitted_at"], limit: 200 },
    { events: ["buildrequests/*/*"], throttleMs: 500 },
  );
  return (
    <Loaded state={state} what="pending requests">
      {({ items, total }) =>
        items.length ? (
          <table className="grid-table" data-testid="pending-table">
            <thead>
              <tr>
                <th>Request</th>
                {builderNames && <th>Builder</th>}
                <th>Priority</th>
                <th>Submitted</th>
                <th className="wide">Buildset</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.buildrequestid} data-testid="pending-row" data-buildrequestid={r.buildrequestid}>
                  <td>{r.buildrequestid}</td>
                  {builderNames && (
                    <td>
                      <a href={href(`builders/${r.builderid}`)}>{builderNames.get(r.builderid) ?? r.builderid}</a>
                    </td>
                  )}
                  <td>{r.priority}</td>
                  <td>
                    <Age ts={r.submitted_at} />
                  </td>
                  <td className="wide muted">{r.buildsetid}</td>
                  <td>
                    <ControlButton
                      path={`buildrequests/${r.buildrequestid}`}
                      method="cancel"
                      params={{ reason: "cancelled from the web UI" }}
                      label="Cancel"
                      className="danger"
                      testid="cancel-request"
                    />
                  </td>
                </tr>
              ))}
              {total !== null && total > items.length && (
                <tr>
                  <td colSpan={6} className="muted">
                    and {total - items.length} more
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        ) : (
          <Empty>No pending build requests.</Empty>
        )
      }
    </Loaded>
  );
}

export function BuilderView({ builderid }: { builderid: number }) {
  const { query } = useRoute();
  const offset = Math.max(0, Number(query.get("offset")) || 0);
  const builderState = useQuery<{ builders: Builder[] }>(`builders/${builderid}`, undefined, { events: [`builders/${builderid}/*`] });
  const builds = useList<Build>(
    `builders/${builderid}/builds`,
    { order: "-number", limit: PAGE, offset },
    { events: ["builds/*/*"], patch: (page, event) => patchPage(page, event, builderid, offset), throttleMs: 500 },
  );
  const workers = useList<Worker>(`builders/${builderid}/workers`, undefined, { events: ["workers/*/*"], throttleMs: 1000 });
  return (
    <Loaded state={builderState} what="builder">
      {(data) => {
        const builder = data.builders[0];
        if (!builder) return <Empty>No builder {builderid}.</Empty>;
        return (
          <div className="page" data-testid="builder-page">
            <div className="page-head">
              <h1>{builder.name}</h1>
              <span className="tags">
                {builder.tags.map((t) => (
                  <a key={t} className="tag" href={href("builders", { tags: t })}>
                    {t}
                  </a>
                ))}
              </span>
              <span className="muted">{builder.description}</span>
              <span className="spacer" />
              <ForceButtons builder={builder} />
            </div>
            <div className="columns">
              <Section title="Builds">
                <Loaded state={builds} what="builds">
                  {(page) => (
                    <>
                      <BuildsTable builds={page.items.map((b) => ({ ...b, buildername: builder.name }))} showBuilder={false} />
                      <Pager
                        offset={offset}
                        limit={PAGE}
                        total={page.total}
                        count={page.items.length}
                        onChange={(o) => replaceQuery({ offset: o || null })}
                      />
                    </>
                  )}
                </Loaded>
              </Section>
              <div className="page">
                <Section title="Pending build requests">
                  <PendingRequests path={`builders/${builderid}/buildrequests`} />
                </Section>
                <Section title="Workers">
                  <Loaded state={workers} what="workers">
                    {({ items }) =>
                      items.length ? (
                        <table className="grid-table">
                          <tbody>
                            {items.map((w) => (
                              <tr key={w.workerid}>
                                <td>
                                  <span className={`conn-dot ${w.connected_to.length ? "conn-open" : ""}`} style={{ display: "inline-block" }} />
                                </td>
                                <td className="wide">
                                  <a href={href(`workers/${w.workerid}`)}>{w.name}</a>
                                  {w.paused && <span className="muted"> (paused)</span>}
                                </td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      ) : (
                        <Empty>No worker is configured for this builder.</Empty>
                      )
                    }
                  </Loaded>
                </Section>
              </div>
            </div>
          </div>
        );
      }}
    </Loaded>
  );
}
