// The masters sharing this database, and whether each is active.

import { Age, Loaded, Section } from "../components/common";
import { useList } from "../data/hooks";
import type { Master } from "../data/types";

export function MastersView() {
  const masters = useList<Master>("masters", undefined, { events: ["masters/*/*"] });
  return (
    <div className="page">
      <Section title="Masters">
        <Loaded state={masters} what="masters">
          {({ items }) => (
            <table className="grid-table" data-testid="masters-table">
              <thead>
                <tr>
                  <th>Id</th>
                  <th>State</th>
                  <th>Last active</th>
                  <th className="wide">Name</th>
                </tr>
              </thead>
              <tbody>
                {items.map((m) => (
                  <tr key={m.masterid} data-testid="master-row">
                    <td>{m.masterid}</td>
                    <td>
                      <span className={`badge ${m.active ? "res-success" : "res-pending"}`}>{m.active ? "active" : "inactive"}</span>
                    </td>
                    <td>
                      <Age ts={m.last_active} />
                    </td>
                    <td className="wide mono">{m.name}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loaded>
      </Section>
    </div>
  );
}
