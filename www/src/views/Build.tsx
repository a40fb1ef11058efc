import { Empty } from "../components/common";

export function BuildView(_props: { buildid: number }) {
  return <Empty>Not written yet.</Empty>;
}
export function BuildByNumberView(_props: { builder: string; number: number }) {
  return <Empty>Not written yet.</Empty>;
}
