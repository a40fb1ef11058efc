// Changes, newest first, paged.

import { replaceQuery, useRoute } from "../app/router";
import { Age, Empty, Loaded, Pager, Section } from "../components/common";
import { useList } from "../data/hooks";
import type { Change } from "../data/types";

const PAGE = 50;

export function ChangesView() {
  const { query } = useRoute();
  const offset = Math.max(0, Number(query.get("offset")) || 0);
  const changes = useList<Change>("changes", { order: "-changeid", limit: PAGE, offset }, { events: ["changes/*/*"], throttleMs: 1000 });
  return (
    <div className="page">
      <Section title="Changes">
        <Loaded state={changes} what="changes">
          {(page) =>
            page.items.length ? (
              <>
                <table className="grid-table" data-testid="changes-table">
                  <thead>
                    <tr>
                      <th>Change</th>
                      <th>When</th>
                      <th>Author</th>
                      <th>Project</th>
                      <th>Branch</th>
                      <th>Revision</th>
                      <th>Files</th>
                      <th className="wide">Comments</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((c) => (
                      <tr key={c.changeid} data-testid="change-row">
                        <td>{c.changeid}</td>
                        <td>
                          <Age ts={c.when_timestamp} />
                        </td>
                        <td>{c.author}</td>
                        <td>{c.project || c.repository}</td>
                        <td>{c.branch}</td>
                        <td className="mono">
                          {c.revlink ? (
                            <a href={c.revlink} target="_blank" rel="noreferrer">
                              {(c.revision ?? "").slice(0, 12)}
                            </a>
                          ) : (
                            (c.revision ?? "").slice(0, 12)
                          )}
                        </td>
                        <td title={c.files.join("\n")}>{c.files.length}</td>
                        <td className="wide ellipsis" title={c.comments}>
                          {c.comments.split("\n")[0]}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <Pager offset={offset} limit={PAGE} total={page.total} count={page.items.length} onChange={(o) => replaceQuery({ offset: o || null })} />
              </>
            ) : (
              <Empty>No changes yet.</Empty>
            )
          }
        </Loaded>
      </Section>
    </div>
  );
}
