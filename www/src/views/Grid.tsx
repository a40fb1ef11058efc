// Grid: a row per builder, a column per buildset (newest on the left); the
// columns page in as the view scrolls right.

import { Empty } from "../components/common";
import { cellState } from "../matrix/buildsets";
import { BuildCell, PendingCell, TagFilter, useShownBuilders } from "../matrix/cells";
import { useBuildsetMatrix } from "../matrix/useMatrix";
import { VirtualGrid } from "../matrix/VirtualGrid";
import { href } from "../app/router";

export function GridView() {
  const { builders, allTags, tags, loaded } = useShownBuilders();
  const matrix = useBuildsetMatrix();
  const columns = matrix.columns;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Grid</h1>
        <TagFilter allTags={allTags} tags={tags} />
        <span className="muted">
          {builders.length} builders × {columns.length} buildsets{matrix.exhausted ? "" : "+"}
        </span>
        {matrix.error && <span className="control-error">{matrix.error}</span>}
      </div>
      {loaded && !builders.length ? (
        <Empty>No builder matches.</Empty>
      ) : (
        <VirtualGrid
          testid="grid-view"
          rows={builders.length}
          cols={columns.length}
          rowHeight={22}
          colWidth={56}
          rowHeaderWidth={200}
          colHeaderHeight={60}
          endAxis="cols"
          onEnd={() => void matrix.loadOlder()}
          corner={<span className="muted">builder \ buildset</span>}
          rowHeader={(r) => <a href={href(`builders/${builders[r].builderid}`)}>{builders[r].name}</a>}
          colHeader={(c) => (
            <span title={columns[c].buildset.reason}>
              {columns[c].buildset.bsid}
              <br />
              <span className="muted">{columns[c].buildset.sourcestamps[0]?.branch || ""}</span>
            </span>
          )}
          cell={(r, c) => {
            const state = cellState(columns[c], builders[r].builderid);
            if (!state) return null;
            return state.build ? <BuildCell build={state.build} /> : <PendingCell />;
          }}
        />
      )}
    </div>
  );
}
