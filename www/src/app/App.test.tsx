import { act } from "react";
import { createRoot } from "react-dom/client";
import { afterEach, describe, expect, it } from "vitest";
import { RestClient } from "../data/rest";
import { EventSocket } from "../data/socket";
import { FakeClock, FakeFetch, FakeSocket } from "../test/fakes";
import { byTestId, click, oneByTestId, settle } from "../test/render";
import { App } from "./App";

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
  window.location.hash = "";
});

async function mount(fake: FakeFetch) {
  FakeSocket.instances = [];
  const rest = new RestClient({ fetch: fake.fetch });
  const socket = new EventSocket({ url: "ws://test/ws", createSocket: (url) => new FakeSocket(url), timers: new FakeClock() });
  const container = document.createElement("div");
  document.body.appendChild(container);
  const root = createRoot(container);
  await act(async () => root.render(<App services={{ rest, socket }} />));
  await settle();
  cleanup = () => {
    act(() => root.unmount());
    container.remove();
  };
  return { container, rest, socket };
}

const config = {
  title: "Nightly CI",
  titleURL: "",
  buildbotURL: "http://127.0.0.1:8010/",
  versions: [["marid", "0.1.0"], ["python", "3.12"]],
  auth: { name: "NoAuth" },
  user: { anonymous: true },
  csrf_token: "tok-9",
};

describe("App", () => {
  it("reads /config, keeps its CSRF token for control calls, and shows the routed view", async () => {
    const fake = new FakeFetch().on("config", { body: config });
    window.location.hash = "#/about";
    const { container, rest, socket } = await mount(fake);
    expect(rest.csrfToken).toBe("tok-9");
    expect(document.title).toBe("Nightly CI");
    expect(oneByTestId(container, "versions").textContent).toContain("python3.12");
    expect(socket.state).toBe("connecting");
    await act(async () => FakeSocket.latest().open());
    expect(oneByTestId(container, "connection-state").dataset.state).toBe("open");
  });

  it("says when the master cannot be read, and retries on request", async () => {
    let up = false;
    const fake = new FakeFetch().on("config", () => (up ? { body: config } : { status: 502, body: "bad gateway" }));
    window.location.hash = "#/about";
    const { container } = await mount(fake);
    expect(oneByTestId(container, "error").textContent).toContain("502");
    up = true;
    await click(oneByTestId(container, "error").querySelector("button")!);
    expect(byTestId(container, "about")).toHaveLength(1);
  });
});
