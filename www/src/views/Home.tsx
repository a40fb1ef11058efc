// Home: what runs now, what finished lately, and the state of the farm.

import { href } from "../app/router";
import { BuildsTable, patchBuilds } from "../components/BuildsTable";
import { Loaded, Section } from "../components/common";
import { useQuery } from "../data/hooks";
import type { UiHome, WsEvent } from "../data/types";

function patchHome(home: UiHome, event: WsEvent): UiHome | undefined {
  // a new or finished build moves between the lists: ask the server
  if (!event.k.endsWith("/update")) return undefined;
  const running = patchBuilds(home.running, event);
  if (running === undefined) return undefined;
  return running === home.running ? home : { ...home, running };
}

export function HomeView() {
  const state = useQuery<UiHome>(
    "ui/home",
    { recent: 50 },
    {
      events: ["builds/*/*", "workers/*/*", "buildrequests/*/*", "builders/*/*"],
      patch: patchHome,
      throttleMs: 1000,
    },
  );
  return (
    <Loaded state={state} what="home">
      {(home) => (
        <div className="page" data-testid="home">
          <div className="tiles">
            <a className="tile" href={href("builders")}>
              <b>{home.builders}</b> builders
              {home.inactive_builders ? <span className="muted"> · {home.inactive_builders} inactive</span> : null}
            </a>
            <a className="tile" href={href("workers")} data-testid="home-workers">
              <b>
                {home.workers.connected}/{home.workers.total}
              </b>
              workers connected
              {home.workers.paused ? <span className="muted"> · {home.workers.paused} paused</span> : null}
            </a>
            <a className="tile" href={href("pending")} data-testid="home-pending">
              <b>{home.pending}</b> pending requests
            </a>
            <span className="tile">
              <b>{home.running.length}</b> running builds
            </span>
          </div>
          <Section title={`Running builds (${home.running.length})`}>
            <BuildsTable builds={home.running} empty="Nothing is running." testid="running-builds" />
          </Section>
          <Section title="Recent builds">
            <BuildsTable builds={home.recent} empty="No build has finished yet." testid="recent-builds" />
          </Section>
        </div>
      )}
    </Loaded>
  );
}
