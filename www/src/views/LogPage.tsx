import { Empty } from "../components/common";

export function LogView(_props: { logid: number }) {
  return <Empty>Not written yet.</Empty>;
}
