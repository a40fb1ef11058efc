// Builder names by id, for the views whose entities carry only a builderid.

import { useMemo } from "react";
import { useList } from "./hooks";
import type { Builder } from "./types";

export function useBuilderNames(): Map<number, string> {
  const builders = useList<Builder>("builders", { field: ["builderid", "name"] }, { events: ["builders/*/*"], throttleMs: 2000 });
  const items = builders.data?.items;
  return useMemo(() => new Map((items ?? []).map((b) => [b.builderid, b.name])), [items]);
}
