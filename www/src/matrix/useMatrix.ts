// Hooks that hold the console/grid and waterfall stores for a view.

import { useEffect, useMemo, useSyncExternalStore } from "react";
import { useEvents, useServices } from "../data/hooks";
import { BuildsetMatrix } from "./buildsets";
import { BuildTimeline } from "./timeline";

export function useBuildsetMatrix(): BuildsetMatrix {
  const { rest, socket } = useServices();
  const matrix = useMemo(() => new BuildsetMatrix(rest), [rest]);
  useSyncExternalStore(
    (notify) => matrix.subscribe(notify),
    () => matrix.version,
  );
  useEffect(() => {
    void matrix.loadOlder();
  }, [matrix]);
  useEvents(["builds/*/*", "buildrequests/*/*", "buildsets/*/*"], (event) => matrix.applyEvent(event));
  useEffect(() => socket.onReconnect(() => void matrix.loadNewer()), [socket, matrix]);
  return matrix;
}

export function useBuildTimeline(): BuildTimeline {
  const { rest, socket } = useServices();
  const timeline = useMemo(() => new BuildTimeline(rest), [rest]);
  useSyncExternalStore(
    (notify) => timeline.subscribe(notify),
    () => timeline.version,
  );
  useEffect(() => {
    void timeline.loadOlder();
  }, [timeline]);
  useEvents(["builds/*/*"], (event) => timeline.applyEvent(event));
  useEffect(() => socket.onReconnect(() => void timeline.loadNewer()), [socket, timeline]);
  return timeline;
}
