// Which view a hash route shows.

import { Empty } from "../components/common";
import { AboutView } from "../views/About";
import { BuildView, BuildByNumberView } from "../views/Build";
import { BuilderView } from "../views/Builder";
import { BuildersView } from "../views/Builders";
import { ChangesView } from "../views/Changes";
import { ConsoleView } from "../views/Console";
import { GridView } from "../views/Grid";
import { HomeView } from "../views/Home";
import { LogView } from "../views/LogPage";
import { MastersView } from "../views/Masters";
import { PendingView } from "../views/Pending";
import { SchedulersView } from "../views/Schedulers";
import { WaterfallView } from "../views/Waterfall";
import { WorkerView, WorkersView } from "../views/Workers";
import { useRoute } from "./router";

const id = (text: string | undefined): number | null => (text && /^\d+$/.test(text) ? Number(text) : null);

export function RouteView() {
  const { parts } = useRoute();
  const [section, a, b, c] = parts;
  switch (section ?? "") {
    case "":
      return <HomeView />;
    case "builders":
      if (a === undefined) return <BuildersView />;
      if (b === "builds" && id(c) !== null) return <BuildByNumberView builder={a} number={id(c)!} />;
      if (id(a) !== null) return <BuilderView builderid={id(a)!} />;
      break;
    case "builds":
      if (id(a) !== null) return <BuildView key={a} buildid={id(a)!} />;
      break;
    case "logs":
      if (id(a) !== null) return <LogView key={a} logid={id(a)!} />;
      break;
    case "workers":
      if (a === undefined) return <WorkersView />;
      if (id(a) !== null) return <WorkerView workerid={id(a)!} />;
      break;
    case "pending":
      return <PendingView />;
    case "changes":
      return <ChangesView />;
    case "masters":
      return <MastersView />;
    case "schedulers":
      return <SchedulersView />;
    case "about":
      return <AboutView />;
    case "waterfall":
      return <WaterfallView />;
    case "console":
      return <ConsoleView />;
    case "grid":
      return <GridView />;
  }
  return <Empty>No page at #/{parts.join("/")}.</Empty>;
}
