import { Empty } from "../components/common";

export function ConsoleView() {
  return <Empty>Not written yet.</Empty>;
}
