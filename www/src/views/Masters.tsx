import { Empty } from "../components/common";

export function MastersView() {
  return <Empty>Not written yet.</Empty>;
}
