"""Many web UI clients of one master, in their own process, for ``bench/builds.py watched``.

    python bench/ws_listeners.py PORT CLIENTS

Opens CLIENTS websockets to ``ws://127.0.0.1:PORT/ws``, each consuming what
the UI's home and build pages follow (builds, steps, logs, build requests,
buildsets, workers), prints ``ready`` once every subscription is
acknowledged, and on SIGTERM prints the number of events received and exits.
"""

from __future__ import annotations

import json
import sys

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from twisted.internet import reactor

PATHS = ("builds/*/*", "steps/*/*", "logs/*/*", "buildrequests/*/*", "buildsets/*/*", "workers/*/*")


class Listener(WebSocketClientProtocol):
    counts: dict[str, int] = {"events": 0, "acks": 0}
    wanted_acks = 0

    def onOpen(self) -> None:
        for n, path in enumerate(PATHS):
            self.sendMessage(json.dumps({"cmd": "startConsuming", "path": path, "_id": n}).encode())

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if payload.startswith(b'{"_id"'):
            self.counts["acks"] += 1
            if self.counts["acks"] == self.wanted_acks:
                print("ready", flush=True)
        else:
            self.counts["events"] += 1


def main() -> None:
    port, clients = int(sys.argv[1]), int(sys.argv[2])
    Listener.wanted_acks = clients * len(PATHS)
    factory = WebSocketClientFactory(f"ws://127.0.0.1:{port}/ws")
    factory.protocol = Listener
    for _ in range(clients):
        connectWS(factory)

    def report() -> None:
        print(f"events {Listener.counts['events']}", flush=True)

    # SIGTERM stops the reactor (its own handler); the count is printed on the way out.
    reactor.addSystemEventTrigger("before", "shutdown", report)
    reactor.run()


if __name__ == "__main__":
    main()
