import { Empty } from "../components/common";

export function GridView() {
  return <Empty>Not written yet.</Empty>;
}
