import { Empty } from "../components/common";

export function AboutView() {
  return <Empty>Not written yet.</Empty>;
}
