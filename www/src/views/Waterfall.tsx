import { Empty } from "../components/common";

export function WaterfallView() {
  return <Empty>Not written yet.</Empty>;
}
