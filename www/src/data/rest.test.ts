import { describe, expect, it } from "vitest";
import { FakeFetch } from "../test/fakes";
import { ApiError, ControlError, RestClient, withQuery } from "./rest";

describe("withQuery", () => {
  it("encodes values, joins lists with commas and leaves out null and undefined", () => {
    expect(withQuery("builds", { limit: 10, order: "-buildid", complete: false, builderid__in: [1, 2], x: null, y: undefined })).toBe(
      "builds?limit=10&order=-buildid&complete=false&builderid__in=1%2C2",
    );
    expect(withQuery("builds", {})).toBe("builds");
  });
});

describe("RestClient.get", () => {
  it("reads a collection's items and total whatever its root key", async () => {
    const fake = new FakeFetch().on("builders", { body: { builders: [{ builderid: 1 }], meta: { total: 7 } } });
    const rest = new RestClient({ fetch: fake.fetch });
    const result = await rest.list<{ builderid: number }>("builders", { limit: 1 });
    expect(result).toEqual({ items: [{ builderid: 1 }], total: 7 });
    expect(fake.requests[0].url).toBe("api/v2/builders?limit=1");
  });

  it("turns an error answer into an ApiError with the server's message and status", async () => {
    const fake = new FakeFetch().on("builds", { status: 400, body: { error: "invalid limit" } });
    const rest = new RestClient({ fetch: fake.fetch });
    const error = await rest.get("builds", { limit: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toBe("invalid limit");
  });

  it("reports a missing entity as a 404", async () => {
    const fake = new FakeFetch().on("builds/5", { body: { builds: [], meta: {} } });
    const rest = new RestClient({ fetch: fake.fetch });
    await expect(rest.one("builds/5")).rejects.toMatchObject({ status: 404 });
  });

  it("rejects with an AbortError, not an ApiError, when aborted", async () => {
    const fake = new FakeFetch().on("builds", { body: { builds: [] } });
    const rest = new RestClient({ fetch: fake.fetch });
    const controller = new AbortController();
    controller.abort();
    const error = await rest.get("builds", {}, controller.signal).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as Error).name).toBe("AbortError");
  });
});

describe("RestClient.control", () => {
  it("posts a JSON-RPC request with the CSRF header once a token is known", async () => {
    const fake = new FakeFetch().on("builds/12", (req) => ({ body: { jsonrpc: "2.0", id: (req.body as { id: number }).id, result: null } }));
    const rest = new RestClient({ fetch: fake.fetch });
    await rest.control("builds/12", "stop", { reason: "no longer needed" });
    expect(fake.requests[0].headers["x-marid-csrf"]).toBeUndefined();

    rest.csrfToken = "tok-123";
    await rest.control("builds/12", "rebuild");
    const [first, second] = fake.requests;
    expect(first.method).toBe("POST");
    expect(first.headers["content-type"]).toBe("application/json");
    expect(first.body).toMatchObject({ jsonrpc: "2.0", method: "stop", params: { reason: "no longer needed" } });
    expect(second.headers["x-marid-csrf"]).toBe("tok-123");
    expect((second.body as { id: number }).id).not.toBe((first.body as { id: number }).id);
  });

  it("returns the result", async () => {
    const fake = new FakeFetch().on("forceschedulers/force", { body: { jsonrpc: "2.0", id: 1, result: [4, { "3": 9 }] } });
    const rest = new RestClient({ fetch: fake.fetch });
    expect(await rest.control("forceschedulers/force", "force", { builderid: "3" })).toEqual([4, { "3": 9 }]);
  });

  it("raises the JSON-RPC error with its status, code and message (403: not allowed)", async () => {
    const fake = new FakeFetch().on("workers/2", {
      status: 403,
      body: { jsonrpc: "2.0", id: 1, error: { code: -32000, message: "you need the admin role to pause workers" } },
    });
    const rest = new RestClient({ fetch: fake.fetch });
    const error = (await rest.control("workers/2", "pause").catch((e: unknown) => e)) as ControlError;
    expect(error).toBeInstanceOf(ControlError);
    expect(error.status).toBe(403);
    expect(error.code).toBe(-32000);
    expect(error.message).toBe("you need the admin role to pause workers");
  });

  it("raises a plain {error} body and a non-JSON failure too", async () => {
    const fake = new FakeFetch()
      .on("buildrequests/1", { status: 409, body: { error: "already claimed" } })
      .on("buildrequests/2", { status: 502, body: "<html>bad gateway</html>" });
    const rest = new RestClient({ fetch: fake.fetch });
    await expect(rest.control("buildrequests/1", "cancel")).rejects.toMatchObject({ status: 409, message: "already claimed" });
    await expect(rest.control("buildrequests/2", "cancel")).rejects.toMatchObject({ status: 502 });
  });
});
