import { Empty } from "../components/common";

export function SchedulersView() {
  return <Empty>Not written yet.</Empty>;
}
