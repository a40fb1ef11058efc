// One log on its own page: `#/logs/ID`, `?line=N` (1-based) to open at a line.

import { href, useRoute } from "../app/router";
import { Loaded } from "../components/common";
import { useQuery } from "../data/hooks";
import type { Log, Step } from "../data/types";
import { LogViewer } from "../log/LogViewer";

export function LogView({ logid }: { logid: number }) {
  const { query } = useRoute();
  const lineParam = Number(query.get("line"));
  const initialLine = Number.isInteger(lineParam) && lineParam > 0 ? lineParam - 1 : null;
  const logState = useQuery<{ logs: Log[] }>(`logs/${logid}`);
  const log = logState.data?.logs[0];
  const stepState = useQuery<{ steps: Step[] }>(log ? `steps/${log.stepid}` : null);
  const step = stepState.data?.steps[0];
  return (
    <Loaded state={logState} what="log">
      {(data) =>
        data.logs[0] ? (
          <div className="page">
            <div className="page-head">
              <h1>Log {data.logs[0].name}</h1>
              {step && (
                <span className="muted">
                  step <b>{step.name}</b> of <a href={href(`builds/${step.buildid}`)}>build {step.buildid}</a>
                </span>
              )}
            </div>
            <LogViewer log={data.logs[0]} height="calc(100vh - 140px)" initialLine={initialLine} linkLines />
          </div>
        ) : (
          <div className="empty">No log {logid}.</div>
        )
      }
    </Loaded>
  );
}
