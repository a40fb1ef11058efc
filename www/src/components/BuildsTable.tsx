// A table of builds, newest first: the home page, a builder, a worker.

import { href } from "../app/router";
import type { Build, WsEvent } from "../data/types";
import { Age, BuildChip, Elapsed, Empty, ResultBadge } from "./common";

export function BuildsTable({
  builds,
  showBuilder = true,
  empty = "No builds.",
  testid = "builds-table",
}: {
  builds: Build[];
  showBuilder?: boolean;
  empty?: string;
  testid?: string;
}) {
  if (!builds.length) return <Empty>{empty}</Empty>;
  return (
    <table className="grid-table" data-testid={testid}>
      <thead>
        <tr>
          {showBuilder && <th>Builder</th>}
          <th>Build</th>
          <th>Result</th>
          <th>Started</th>
          <th>Duration</th>
          <th className="wide">Status</th>
        </tr>
      </thead>
      <tbody>
        {builds.map((b) => (
          <tr key={b.buildid} data-testid="build-row" data-buildid={b.buildid}>
            {showBuilder && (
              <td>
                <a href={href(`builders/${b.builderid}`)}>{b.buildername ?? `builder ${b.builderid}`}</a>
              </td>
            )}
            <td>
              <BuildChip build={b} />
            </td>
            <td>
              <ResultBadge results={b.results} />
            </td>
            <td>
              <Age ts={b.started_at} />
            </td>
            <td>
              <Elapsed started={b.started_at} completed={b.complete_at} />
            </td>
            <td className="wide ellipsis" title={b.state_string}>
              {b.state_string}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A build list after a `builds/ID/...` event: an `update` or `finished` of a
 * build in the list changes it in place; anything else asks for a refetch
 * (undefined), an event about a build not in the list changes nothing.
 */
export function patchBuilds(builds: Build[], event: WsEvent, refetchOnNew = true): Build[] | undefined {
  const [kind, id, what] = event.k.split("/");
  if (kind !== "builds") return undefined;
  const buildid = Number(id);
  const index = builds.findIndex((b) => b.buildid === buildid);
  if (what === "new") return refetchOnNew ? undefined : builds;
  if (index < 0) return builds;
  if (what === "update" || what === "finished") {
    const next = builds.slice();
    next[index] = { ...builds[index], ...(event.m as Partial<Build>), buildername: builds[index].buildername };
    return next;
  }
  return undefined;
}
