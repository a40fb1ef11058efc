// Shown while the websocket is down: the page is not live until it is back.

import { useServices, useConnectionState } from "../data/hooks";

export function ConnectionBanner() {
  const state = useConnectionState();
  const { socket } = useServices();
  if (state !== "down") return null;
  return (
    <div className="conn-banner" role="status" data-testid="connection-banner">
      Disconnected from the master — reconnecting…
      <button type="button" onClick={() => socket.reconnectNow()}>
        Retry now
      </button>
    </div>
  );
}
