import { Empty } from "../components/common";

export function ChangesView() {
  return <Empty>Not written yet.</Empty>;
}
