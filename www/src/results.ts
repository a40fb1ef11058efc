// Build, step and request results as Buildbot numbers, names and colours them.

import type { Results } from "./data/types";

export const SUCCESS = 0;
export const WARNINGS = 1;
export const FAILURE = 2;
export const SKIPPED = 3;
export const EXCEPTION = 4;
export const RETRY = 5;
export const CANCELLED = 6;

const NAMES = ["success", "warnings", "failure", "skipped", "exception", "retry", "cancelled"];

/** The result's name; null is "running" when started, "pending" otherwise. */
export function resultName(results: Results, started = true): string {
  if (results === null || results === undefined) return started ? "running" : "pending";
  return NAMES[results] ?? `result ${results}`;
}

/** The CSS class that colours a result: `res-success`, `res-running`... */
export function resultClass(results: Results, started = true): string {
  return `res-${resultName(results, started).replace(/\s+/g, "-")}`;
}

export const RESULT_NAMES = NAMES;
