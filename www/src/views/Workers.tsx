// Workers: connected or not, paused, what each runs now, its info, and the
// pause/unpause, graceful stop and kill actions.

import { href } from "../app/router";
import { BuildsTable } from "../components/BuildsTable";
import { BuildChip, Empty, Loaded, Section } from "../components/common";
import { ControlButton } from "../components/control";
import { useList } from "../data/hooks";
import type { Build, Worker } from "../data/types";
import { useBuilderNames } from "../data/names";
import { valueText } from "../format";

function useRunningBuilds() {
  return useList<Build>("builds", { complete: false, order: "-buildid", limit: 500 }, { events: ["builds/*/*"], throttleMs: 1000 });
}

export function WorkerActions({ worker }: { worker: Worker }) {
  const path = `workers/${worker.workerid}`;
  return (
    <span className="control">
      {worker.paused ? (
        <ControlButton path={path} method="unpause" label="Unpause" testid="worker-unpause" />
      ) : (
        <ControlButton
          path={path}
          method="pause"
          params={() => {
            const reason = window.prompt(`Pause ${worker.name}: why?`, "");
            return reason === null ? null : { reason };
          }}
          label="Pause"
          testid="worker-pause"
        />
      )}
      {worker.connected_to.length > 0 && (
        <>
          <ControlButton
            path={path}
            method="stop"
            params={{ reason: "stopped from the web UI" }}
            label="Stop"
            confirm={`Stop ${worker.name} once its builds finish?`}
            testid="worker-stop"
          />
          <ControlButton
            path={path}
            method="kill"
            params={{ reason: "killed from the web UI" }}
            label="Kill"
            className="danger"
            confirm={`Disconnect ${worker.name} now, interrupting its builds?`}
            testid="worker-kill"
          />
        </>
      )}
    </span>
  );
}

function State({ worker }: { worker: Worker }) {
  const connected = worker.connected_to.length > 0;
  return (
    <span data-testid="worker-state" data-connected={connected} data-paused={worker.paused}>
      <span className={`conn-dot ${connected ? "conn-open" : ""}`} style={{ display: "inline-block", marginRight: 5 }} />
      {connected ? "connected" : "not connected"}
      {worker.paused && <span className="badge res-warnings" style={{ marginLeft: 5 }} title={worker.pause_reason ?? undefined}>paused</span>}
      {worker.graceful && <span className="badge res-skipped" style={{ marginLeft: 5 }}>stopping</span>}
    </span>
  );
}

export function WorkersView() {
  const workers = useList<Worker>("workers", { order: "name" }, { events: ["workers/*/*"], throttleMs: 500 });
  const running = useRunningBuilds();
  const names = useBuilderNames();
  const byWorker = new Map<number, Build[]>();
  for (const b of running.data?.items ?? []) {
    if (b.workerid === null) continue;
    byWorker.set(b.workerid, [...(byWorker.get(b.workerid) ?? []), { ...b, buildername: names.get(b.builderid) }]);
  }
  return (
    <Loaded state={workers} what="workers">
      {({ items }) => (
        <div className="page">
          <Section title={`Workers (${items.filter((w) => w.connected_to.length).length} of ${items.length} connected)`}>
            {items.length ? (
              <table className="grid-table" data-testid="workers-table">
                <thead>
                  <tr>
                    <th>Worker</th>
                    <th>State</th>
                    <th>Running</th>
                    <th>Builders</th>
                    <th>Version</th>
                    <th className="wide">Host</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {items.map((w) => (
                    <tr key={w.workerid} data-testid="worker-row" data-workerid={w.workerid} data-name={w.name}>
                      <td>
                        <a href={href(`workers/${w.workerid}`)}>{w.name}</a>
                      </td>
                      <td>
                        <State worker={w} />
                      </td>
                      <td>
                        <span className="tags">
                          {(byWorker.get(w.workerid) ?? []).map((b) => (
                            <BuildChip key={b.buildid} build={b} label={`${b.buildername ?? ""} #${b.number}`} />
                          ))}
                        </span>
                      </td>
                      <td>{new Set(w.configured_on.map((c) => c.builderid)).size}</td>
                      <td>{valueText(w.workerinfo?.version ?? "")}</td>
                      <td className="wide ellipsis muted" title={valueText(w.workerinfo?.host ?? "")}>
                        {valueText(w.workerinfo?.host ?? "")}
                      </td>
                      <td>
                        <WorkerActions worker={w} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No workers are configured.</Empty>
            )}
          </Section>
        </div>
      )}
    </Loaded>
  );
}

export function WorkerView({ workerid }: { workerid: number }) {
  const worker = useList<Worker>(`workers/${workerid}`, undefined, { events: [`workers/${workerid}/*`] });
  const builds = useList<Build>(`workers/${workerid}/builds`, { order: "-buildid", limit: 50 }, { events: ["builds/*/*"], throttleMs: 1000 });
  const names = useBuilderNames();
  return (
    <Loaded state={worker} what="worker">
      {({ items }) => {
        const w = items[0];
        if (!w) return <Empty>No worker {workerid}.</Empty>;
        const builders = [...new Set(w.configured_on.map((c) => c.builderid))];
        return (
          <div className="page" data-testid="worker-page">
            <div className="page-head">
              <h1>{w.name}</h1>
              <State worker={w} />
              {w.paused && w.pause_reason && <span className="muted">{w.pause_reason}</span>}
              <span className="spacer" />
              <WorkerActions worker={w} />
            </div>
            <div className="columns">
              <Section title="Builds">
                <Loaded state={builds} what="builds">
                  {(page) => <BuildsTable builds={page.items.map((b) => ({ ...b, buildername: names.get(b.builderid) }))} />}
                </Loaded>
              </Section>
              <div className="page">
                <Section title="Info">
                  <table className="kv" data-testid="worker-info">
                    <tbody>
                      {Object.entries(w.workerinfo ?? {})
                        .sort(([a], [b]) => a.localeCompare(b))
                        .map(([key, value]) => (
                          <tr key={key}>
                            <th>{key}</th>
                            <td className="mono" style={{ whiteSpace: "pre-wrap" }}>
                              {valueText(value)}
                            </td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </Section>
                <Section title="Builders">
                  <div className="panel-body tags">
                    {builders.map((id) => (
                      <a key={id} className="tag" href={href(`builders/${id}`)}>
                        {names.get(id) ?? id}
                      </a>
                    ))}
                    {!builders.length && <span className="muted">none</span>}
                  </div>
                </Section>
              </div>
            </div>
          </div>
        );
      }}
    </Loaded>
  );
}
