import { Empty } from "../components/common";

export function BuilderView(_props: { builderid: number }) {
  return <Empty>Not written yet.</Empty>;
}
