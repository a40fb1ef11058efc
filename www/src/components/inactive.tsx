// Builders that no master configures any more (an empty `masterids`, left
// behind by a reconfig) are hidden from the builder lists unless the user asks
// for them. The choice is kept in the URL (`?inactive=1`), so a link keeps it.

import { replaceQuery, useRoute } from "../app/router";
import type { Builder } from "../data/types";

/** Whether the page's URL asks for inactive builders too. */
export function useShowInactive(): boolean {
  return useRoute().query.get("inactive") === "1";
}

export function isInactive(builder: Pick<Builder, "masterids">): boolean {
  return builder.masterids.length === 0;
}

/** The "show inactive builders" checkbox; `hidden` (when known) says how many there are. */
export function InactiveToggle({ shown, hidden }: { shown: boolean; hidden?: number }) {
  return (
    <label className="muted" title="builders that no master configures any more">
      <input type="checkbox" checked={shown} onChange={(e) => replaceQuery({ inactive: e.target.checked ? "1" : null })} data-testid="show-inactive" /> show inactive
      builders{hidden ? ` (${hidden})` : ""}
    </label>
  );
}
