import { Empty } from "../components/common";

export function BuildersView() {
  return <Empty>Not written yet.</Empty>;
}
