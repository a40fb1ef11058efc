// Console: a row per buildset (newest first) labelled with its change, a
// column per builder; rows page in as the view scrolls down.

import { Empty } from "../components/common";
import { useList } from "../data/hooks";
import type { Buildset, Change } from "../data/types";
import { cellState } from "../matrix/buildsets";
import { BuildCell, PendingCell, TagFilter, useShownBuilders } from "../matrix/cells";
import { useBuildsetMatrix } from "../matrix/useMatrix";
import { VirtualGrid } from "../matrix/VirtualGrid";
import { href } from "../app/router";

function rowLabel(buildset: Buildset, changes: Map<number, Change>): { title: string; text: string } {
  for (const stamp of buildset.sourcestamps) {
    const change = changes.get(stamp.ssid);
    if (change) {
      const first = change.comments.split("\n")[0];
      return { title: `${change.author}\n${change.revision ?? ""}\n${change.comments}`, text: `${change.author.replace(/\s*<.*>/, "")}: ${first}` };
    }
  }
  const stamp = buildset.sourcestamps[0];
  const rev = stamp?.revision ? ` @${stamp.revision.slice(0, 10)}` : "";
  return { title: buildset.reason, text: `${buildset.reason}${rev}` };
}

export function ConsoleView() {
  const { builders, allTags, tags, loaded } = useShownBuilders();
  const matrix = useBuildsetMatrix();
  const changes = useList<Change>("changes", { order: "-changeid", limit: 500 }, { events: ["changes/*/*"], throttleMs: 2000 });
  const bySsid = new Map<number, Change>();
  for (const change of changes.data?.items ?? []) if (change.sourcestamp) bySsid.set(change.sourcestamp.ssid, change);
  const rows = matrix.columns;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Console</h1>
        <TagFilter allTags={allTags} tags={tags} />
        <span className="muted">
          {rows.length} buildsets{matrix.exhausted ? "" : "+"} × {builders.length} builders
        </span>
        {matrix.error && <span className="control-error">{matrix.error}</span>}
      </div>
      {loaded && !builders.length ? (
        <Empty>No builder matches.</Empty>
      ) : (
        <VirtualGrid
          testid="console-view"
          rows={rows.length}
          cols={builders.length}
          rowHeight={22}
          colWidth={34}
          rowHeaderWidth={360}
          colHeaderHeight={140}
          endAxis="rows"
          onEnd={() => void matrix.loadOlder()}
          corner={<span className="muted">change \ builder</span>}
          colHeader={(c) => (
            <a className="colhead-link" href={href(`builders/${builders[c].builderid}`)} title={builders[c].name} style={{ writingMode: "vertical-rl", display: "block", height: "100%" }}>
              {builders[c].name}
            </a>
          )}
          rowHeader={(r) => {
            const label = rowLabel(rows[r].buildset, bySsid);
            return <span title={label.title}>{label.text}</span>;
          }}
          cell={(r, c) => {
            const state = cellState(rows[r], builders[c].builderid);
            if (!state) return null;
            return state.build ? <BuildCell build={state.build} label="" /> : <PendingCell />;
          }}
        />
      )}
    </div>
  );
}
