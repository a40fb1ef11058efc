// One build: its steps (live), their logs, properties, changes, worker,
// the builds it triggered and the build that triggered it, with stop and
// rebuild. One request (`ui/build/ID`) draws the page; step and build
// events patch it in place.

import { useState } from "react";
import { href, navigate } from "../app/router";
import { Age, BuildChip, Elapsed, Empty, Loaded, ResultBadge, Section } from "../components/common";
import { ControlButton } from "../components/control";
import { useQuery } from "../data/hooks";
import type { Build, Change, Log, Step, UiBuild, UiStep, WsEvent } from "../data/types";
import { dateTime, valueText } from "../format";
import { LogViewer } from "../log/LogViewer";
import { resultClass } from "../results";

/**
 * The page's data after an event: the build's own updates and its steps'
 * are applied in place; a new or finished log, new properties or a new
 * triggered build ask for a refetch; other builds' events change nothing.
 */
export function patchBuildPage(data: UiBuild, event: WsEvent): UiBuild | undefined {
  const [kind, id, what, sub] = event.k.split("/");
  const buildid = data.build.buildid;
  if (kind === "builds") {
    if (Number(id) === buildid) {
      if (what === "properties") return undefined;
      if (what === "update" || what === "finished") {
        const { properties: _ignored, ...fields } = event.m as Partial<Build>;
        return { ...data, build: { ...data.build, ...fields } };
      }
      return data;
    }
    const index = data.triggered.findIndex((b) => b.buildid === Number(id));
    if (index >= 0 && (what === "update" || what === "finished")) {
      const triggered = data.triggered.slice();
      triggered[index] = { ...triggered[index], ...(event.m as Partial<Build>) };
      return { ...data, triggered };
    }
    return data;
  }
  if (kind === "steps") {
    const step = event.m as unknown as Step;
    if (step.buildid !== buildid) return data;
    const index = data.steps.findIndex((s) => s.stepid === step.stepid);
    const steps = data.steps.slice();
    if (index >= 0) steps[index] = { ...steps[index], ...step, logs: steps[index].logs };
    else steps.push({ ...step, logs: [] });
    steps.sort((a, b) => a.number - b.number);
    return { ...data, steps };
  }
  if (kind === "logs") {
    const log = event.m as unknown as Partial<Log>;
    const stepIndex = data.steps.findIndex((s) => s.stepid === log.stepid);
    if (stepIndex < 0) return data;
    return undefined;
  }
  if (kind === "buildsets" && sub === undefined && what === "new") {
    return (event.m as { parent_buildid?: number }).parent_buildid === buildid ? undefined : data;
  }
  return data;
}

function StepRow({ step, open, onToggle, openLog, setOpenLog }: {
  step: UiStep;
  open: boolean;
  onToggle: () => void;
  openLog: number | null;
  setOpenLog: (logid: number | null) => void;
}) {
  const started = step.started_at !== null;
  const log = step.logs.find((l) => l.logid === openLog) ?? null;
  return (
    <li className="step" data-testid="step-row" data-step-number={step.number} data-result={step.results ?? (started ? "running" : "pending")}>
      <div
        className={`step-row ${resultClass(step.results, started)}`}
        onClick={onToggle}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            onToggle();
          }
        }}
        role="button"
        tabIndex={0}
        aria-expanded={open}
      >
        <span className="step-num">{step.number + 1}</span>
        <span className="step-name">{step.name}</span>
        <span className="step-state" title={step.state_string}>
          {step.state_string}
        </span>
        <span className="muted">{step.logs.length ? `${step.logs.length} log${step.logs.length > 1 ? "s" : ""}` : ""}</span>
        <Elapsed started={step.started_at} completed={step.complete_at} />
      </div>
      {open && (
        <div className="step-detail" data-testid="step-detail">
          <div className="step-logs">
            {step.logs.map((l) => (
              <span key={l.logid}>
                <a
                  href={href(`logs/${l.logid}`)}
                  className={l.logid === openLog ? "on" : undefined}
                  onClick={(e) => {
                    if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                    e.preventDefault();
                    setOpenLog(l.logid === openLog ? null : l.logid);
                  }}
                  data-testid="step-log-link"
                >
                  {l.name}
                </a>{" "}
                <span className="muted">({l.num_lines})</span>
              </span>
            ))}
            {step.urls.map((u) => (
              <a key={u.url + u.name} href={u.url} target="_blank" rel="noreferrer">
                {u.name} ↗
              </a>
            ))}
            {!step.logs.length && !step.urls.length && <span className="muted">no logs</span>}
          </div>
          {log && <LogViewer log={log} height="420px" />}
        </div>
      )}
    </li>
  );
}

function Steps({ steps }: { steps: UiStep[] }) {
  const shown = steps.filter((s) => !s.hidden);
  // a failed step opens by itself, once, with its first log
  const firstBad = shown.find((s) => s.results !== null && s.results >= 2 && s.results !== 3 && s.logs.length);
  const [opened, setOpened] = useState<Set<number>>(() => new Set(firstBad ? [firstBad.stepid] : []));
  const [openLogs, setOpenLogs] = useState<Record<number, number | null>>(() =>
    firstBad ? { [firstBad.stepid]: (firstBad.logs.find((l) => l.name === "stdio") ?? firstBad.logs[0]).logid } : {},
  );
  if (!shown.length) return <Empty>No steps yet.</Empty>;
  return (
    <ol className="steps" data-testid="steps">
      {shown.map((step) => (
        <StepRow
          key={step.stepid}
          step={step}
          open={opened.has(step.stepid)}
          onToggle={() =>
            setOpened((o) => {
              const next = new Set(o);
              if (!next.delete(step.stepid)) next.add(step.stepid);
              return next;
            })
          }
          openLog={openLogs[step.stepid] ?? null}
          setOpenLog={(logid) => setOpenLogs((m) => ({ ...m, [step.stepid]: logid }))}
        />
      ))}
    </ol>
  );
}

function ChangesList({ changes }: { changes: Change[] }) {
  if (!changes.length) return <Empty>No changes.</Empty>;
  return (
    <table className="kv" data-testid="build-changes">
      <tbody>
        {changes.map((c) => (
          <tr key={c.changeid}>
            <td>
              <div>
                <b>{c.author}</b> <span className="muted">{c.branch}</span>{" "}
                {c.revlink ? (
                  <a href={c.revlink} target="_blank" rel="noreferrer" className="mono">
                    {(c.revision ?? "").slice(0, 12)}
                  </a>
                ) : (
                  <span className="mono">{(c.revision ?? "").slice(0, 12)}</span>
                )}{" "}
                <Age ts={c.when_timestamp} />
              </div>
              <div className="muted" style={{ whiteSpace: "pre-wrap" }}>
                {c.comments}
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function BuildPage({ data }: { data: UiBuild }) {
  const { build, builder, worker, buildrequest, parent, triggered } = data;
  const properties = Object.entries(build.properties ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const reason = build.properties?.reason?.[0];
  const owner = build.properties?.owner?.[0];
  return (
    <div className="page" data-testid="build-page" data-buildid={build.buildid}>
      <div className="page-head">
        <h1>
          <a href={href(`builders/${builder.builderid}`)}>{builder.name}</a> #{build.number}
        </h1>
        <ResultBadge results={build.results} />
        <span className="muted" data-testid="build-state">
          {build.state_string}
        </span>
        <span className="spacer" />
        {!build.complete && (
          <ControlButton
            path={`builds/${build.buildid}`}
            method="stop"
            params={() => {
              const reason = window.prompt("Why stop this build?", "stopped from the web UI");
              return reason === null ? null : { reason };
            }}
            label="Stop"
            className="danger"
            testid="build-stop"
          />
        )}
        {build.complete && (
          <ControlButton
            path={`builds/${build.buildid}`}
            method="rebuild"
            label="Rebuild"
            testid="build-rebuild"
            onDone={(result) => {
              // a rebuild answers like a force: [bsid, {builderid: brid}]
              if (Array.isArray(result)) navigate(`builders/${builder.builderid}`);
            }}
          />
        )}
      </div>
      <div className="columns">
        <Section title="Steps">
          <Steps steps={data.steps} />
        </Section>
        <div className="page">
          <Section title="Build">
            <table className="kv" data-testid="build-summary">
              <tbody>
                <tr>
                  <th>Started</th>
                  <td title={dateTime(build.started_at)}>
                    <Age ts={build.started_at} />
                  </td>
                </tr>
                <tr>
                  <th>Duration</th>
                  <td>
                    <Elapsed started={build.started_at} completed={build.complete_at} />
                  </td>
                </tr>
                {build.complete_at && (
                  <tr>
                    <th>Finished</th>
                    <td>{dateTime(build.complete_at)}</td>
                  </tr>
                )}
                <tr>
                  <th>Worker</th>
                  <td>
                    {worker ? (
                      <a href={href(`workers/${worker.workerid}`)} data-testid="build-worker">
                        {worker.name}
                      </a>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                </tr>
                {reason !== undefined && (
                  <tr>
                    <th>Reason</th>
                    <td>{valueText(reason)}</td>
                  </tr>
                )}
                {owner !== undefined && owner !== "" && (
                  <tr>
                    <th>Owner</th>
                    <td>{valueText(owner)}</td>
                  </tr>
                )}
                {buildrequest && (
                  <tr>
                    <th>Request</th>
                    <td>
                      {buildrequest.buildrequestid} <span className="muted">(buildset {buildrequest.buildsetid})</span>
                    </td>
                  </tr>
                )}
                {parent && (
                  <tr>
                    <th>Triggered by</th>
                    <td data-testid="build-parent">
                      <BuildChip build={parent} label={`${parent.buildername ?? "build"} #${parent.number}`} />
                    </td>
                  </tr>
                )}
                {triggered.length > 0 && (
                  <tr>
                    <th>Triggered</th>
                    <td>
                      <span className="tags" data-testid="build-triggered">
                        {triggered.map((b) => (
                          <BuildChip key={b.buildid} build={b} label={`${b.buildername ?? "build"} #${b.number}`} />
                        ))}
                      </span>
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </Section>
          <Section title="Changes">
            <ChangesList changes={data.changes} />
          </Section>
          <Section title={`Properties (${properties.length})`}>
            {properties.length ? (
              <table className="kv" data-testid="build-properties">
                <tbody>
                  {properties.map(([name, [value, source]]) => (
                    <tr key={name} data-testid="property-row" data-property={name}>
                      <th>{name}</th>
                      <td className="mono">{valueText(value)}</td>
                      <td className="muted">{source}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No properties.</Empty>
            )}
          </Section>
        </div>
      </div>
    </div>
  );
}

export function BuildView({ buildid }: { buildid: number }) {
  const state = useQuery<UiBuild>(`ui/build/${buildid}`, undefined, {
    events: [`builds/${buildid}/properties/*`, "builds/*/*", "steps/*/*", "logs/*/new", "logs/*/finished", "buildsets/*/new"],
    patch: patchBuildPage,
    throttleMs: 500,
  });
  return <Loaded state={state} what="build">{(data) => <BuildPage data={data} />}</Loaded>;
}

/** `#/builders/B/builds/N`: the build numbered N of builder B (an id or a name). */
export function BuildByNumberView({ builder, number }: { builder: string; number: number }) {
  const state = useQuery<{ builds: Build[] }>(`builders/${encodeURIComponent(builder)}/builds/${number}`);
  return (
    <Loaded state={state} what="build">
      {(data) => (data.builds[0] ? <BuildView key={data.builds[0].buildid} buildid={data.builds[0].buildid} /> : <Empty>No such build.</Empty>)}
    </Loaded>
  );
}
