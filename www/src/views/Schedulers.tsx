// Schedulers, with the enable/disable switch.

import { Loaded, Section } from "../components/common";
import { ControlButton } from "../components/control";
import { useList } from "../data/hooks";
import type { Scheduler } from "../data/types";

export function SchedulersView() {
  const schedulers = useList<Scheduler>("schedulers", { order: "name" }, { events: ["schedulers/*/*"] });
  return (
    <div className="page">
      <Section title="Schedulers">
        <Loaded state={schedulers} what="schedulers">
          {({ items }) => (
            <table className="grid-table" data-testid="schedulers-table">
              <thead>
                <tr>
                  <th>Scheduler</th>
                  <th>State</th>
                  <th className="wide">Master</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.schedulerid} data-testid="scheduler-row" data-name={s.name}>
                    <td>{s.name}</td>
                    <td>
                      <span className={`badge ${s.enabled ? "res-success" : "res-pending"}`}>{s.enabled ? "enabled" : "disabled"}</span>
                    </td>
                    <td className="wide muted">{s.master?.name ?? ""}</td>
                    <td>
                      <ControlButton
                        path={`schedulers/${s.schedulerid}`}
                        method="enable"
                        params={{ enabled: !s.enabled }}
                        label={s.enabled ? "Disable" : "Enable"}
                        testid="scheduler-enable"
                        onDone={() => schedulers.refetch()}
                      />
                    </td>
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
