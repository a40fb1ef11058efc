// Pending build requests of every builder, highest priority first.

import { Section } from "../components/common";
import { PendingRequests } from "./Builder";
import { useBuilderNames } from "../data/names";

export function PendingView() {
  const names = useBuilderNames();
  return (
    <div className="page">
      <Section title="Pending build requests">
        <PendingRequests path="buildrequests" builderNames={names} />
      </Section>
    </div>
  );
}
