// Hash routing: `#/builders/3?tags=linux`. The route is the hash's path
// split on "/" and its query; links are plain `href`s built with `href()`.

import { useSyncExternalStore } from "react";

export interface Route {
  /** Path segments: `#/builders/3` → ["builders", "3"]. */
  parts: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, "");
  const [path, search = ""] = text.split("?", 2);
  const parts = path
    .split("/")
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  return { parts, query: new URLSearchParams(search) };
}

export function href(path: string, query?: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const q = search.toString();
  return `#/${path.replace(/^\/+/, "")}${q ? `?${q}` : ""}`;
}

export function navigate(path: string, query?: Record<string, string | number | null | undefined>): void {
  window.location.hash = href(path, query);
}

/** Change the query of the current route without adding a history entry. */
export function replaceQuery(updates: Record<string, string | number | null | undefined>): void {
  const route = parseHash(window.location.hash);
  const query: Record<string, string> = Object.fromEntries(route.query.entries());
  for (const [key, value] of Object.entries(updates)) {
    if (value === null || value === undefined || value === "") delete query[key];
    else query[key] = String(value);
  }
  const next = href(route.parts.map(encodeURIComponent).join("/"), query);
  window.history.replaceState(null, "", next);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

function subscribe(notify: () => void): () => void {
  window.addEventListener("hashchange", notify);
  return () => window.removeEventListener("hashchange", notify);
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}

export function useRoute(): Route {
  return parseHash(useHash());
}
