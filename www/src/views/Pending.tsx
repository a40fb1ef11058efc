import { Empty } from "../components/common";

export function PendingView() {
  return <Empty>Not written yet.</Empty>;
}
