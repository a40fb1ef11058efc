// The HTTP half of the data client: REST reads of /api/v2 and JSON-RPC
// control actions. Every URL is relative to the page, so the UI works
// behind a path prefix. `fetch` is a constructor argument: tests pass a fake.
//
// Errors:
//   Error
//    └── ApiError        a non-2xx answer or an unreadable body; `status` (0 = no answer)
//         └── ControlError  a JSON-RPC error; `code` from the server's error object

import type { Collection } from "./types";

export type ParamValue = string | number | boolean | null | undefined | (string | number)[];
export type Params = Record<string, ParamValue>;

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

export class ControlError extends ApiError {
  readonly code: number | null;
  readonly data: unknown;
  constructor(status: number, code: number | null, message: string, data?: unknown) {
    super(status, message);
    this.name = "ControlError";
    this.code = code;
    this.data = data;
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException
    ? error.name === "AbortError"
    : (error as { name?: string } | null)?.name === "AbortError";
}

/** `path` with its query string; array values repeat the parameter, null/undefined are left out. */
export function withQuery(path: string, params?: Params): string {
  if (!params) return path;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (value.length) query.append(key, value.join(","));
    } else {
      query.append(key, String(value));
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface RestOptions {
  /** Prefix of every API path, relative to the page. */
  apiRoot?: string;
  fetch?: FetchFn;
}

async function readError(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
    if (body.error && typeof body.error === "object") {
      const message = (body.error as { message?: unknown }).message;
      if (typeof message === "string") return message;
    }
  } catch {
    // not JSON: fall back to the status line
  }
  return `${response.status} ${response.statusText}`.trim();
}

export class RestClient {
  readonly apiRoot: string;
  /** Sent as X-Marid-CSRF with every control request once /config gave one. */
  csrfToken: string | null = null;
  private readonly fetchFn: FetchFn;
  private nextId = 1;

  constructor(options: RestOptions = {}) {
    this.apiRoot = options.apiRoot ?? "api/v2/";
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, params?: Params): string {
    return withQuery(this.apiRoot + path.replace(/^\/+/, ""), params);
  }

  /** GET a URL relative to the page (not the API root) and parse its JSON. */
  async getJson<T>(url: string, signal?: AbortSignal, headers?: Record<string, string>): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        signal,
        credentials: "same-origin",
        headers: { Accept: "application/json", ...headers },
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(0, `cannot reach the master: ${(error as Error).message ?? error}`);
    }
    if (!response.ok) throw new ApiError(response.status, await readError(response));
    try {
      return (await response.json()) as T;
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(response.status, "the master sent a response that is not JSON");
    }
  }

  /** GET /api/v2/<path>: the raw JSON body. */
  get<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T> {
    return this.getJson<T>(this.url(path, params), signal);
  }

  /** GET a collection: its items under the path's root key, and meta.total. */
  async list<T>(path: string, params?: Params, signal?: AbortSignal): Promise<Collection<T>> {
    const body = await this.get<Record<string, unknown>>(path, params, signal);
    return unwrapCollection<T>(body);
  }

  /** GET one entity (`builds/12`): the first item, or an ApiError 404. */
  async one<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T> {
    const { items } = await this.list<T>(path, params, signal);
    if (!items.length) throw new ApiError(404, `not found: ${path}`);
    return items[0];
  }

  /** POST a JSON-RPC 2.0 call to /api/v2/<path>; the result, or a ControlError. */
  async control<T = unknown>(path: string, method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Accept: "application/json",
    };
    if (this.csrfToken) headers["X-Marid-CSRF"] = this.csrfToken;
    let response: Response;
    try {
      response = await this.fetchFn(this.url(path), {
        method: "POST",
        credentials: "same-origin",
        headers,
        body: JSON.stringify({ jsonrpc: "2.0", method, params, id }),
      });
    } catch (error) {
      throw new ControlError(0, null, `cannot reach the master: ${(error as Error).message ?? error}`);
    }
    let body: { result?: T; error?: unknown } | null = null;
    try {
      body = (await response.json()) as { result?: T; error?: unknown };
    } catch {
      body = null;
    }
    const error = body?.error;
    if (error !== undefined && error !== null) {
      if (typeof error === "string") throw new ControlError(response.status, null, error);
      const e = error as { code?: number; message?: string; data?: unknown };
      throw new ControlError(
        response.status,
        typeof e.code === "number" ? e.code : null,
        e.message ?? `${response.status} ${response.statusText}`.trim(),
        e.data,
      );
    }
    if (!response.ok || body === null) {
      throw new ControlError(response.status, null, `${response.status} ${response.statusText}`.trim());
    }
    return body.result as T;
  }
}

/** `{"builds": [...], "meta": {"total": N}}` → items and total, whatever the root key. */
export function unwrapCollection<T>(body: Record<string, unknown>): Collection<T> {
  const meta = (body.meta ?? {}) as { total?: number };
  for (const [key, value] of Object.entries(body)) {
    if (key !== "meta" && Array.isArray(value)) {
      return { items: value as T[], total: typeof meta.total === "number" ? meta.total : null };
    }
  }
  return { items: [], total: typeof meta.total === "number" ? meta.total : 0 };
}
