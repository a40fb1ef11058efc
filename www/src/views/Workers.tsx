import { Empty } from "../components/common";

export function WorkersView() {
  return <Empty>Not written yet.</Empty>;
}
export function WorkerView(_props: { workerid: number }) {
  return <Empty>Not written yet.</Empty>;
}
