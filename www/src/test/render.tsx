// Rendering components in tests: the real providers around them, with a
// FakeFetch behind the REST client and a FakeSocket behind the websocket.

import { act, type ReactNode } from "react";
import { createRoot, type Root } from "react-dom/client";
import { DeniedProvider } from "../components/control";
import { ConfigContext, ServicesContext, type Services } from "../data/hooks";
import { RestClient } from "../data/rest";
import { EventSocket } from "../data/socket";
import type { UiConfig } from "../data/types";
import { FakeClock, FakeFetch, FakeSocket } from "./fakes";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export const baseConfig: UiConfig = {
  title: "Test CI",
  titleURL: "",
  buildbotURL: "http://127.0.0.1:8010/",
  versions: [["marid", "0.1.0"]],
  auth: { name: "NoAuth" },
  user: { anonymous: true },
};

export interface Rendered {
  container: HTMLElement;
  fake: FakeFetch;
  services: Services;
  clock: FakeClock;
  ws: () => FakeSocket;
  rerender: (ui: ReactNode) => Promise<void>;
  unmount: () => void;
}

/** Let promises and short timers run, with React's updates applied. */
export async function settle(ms = 0): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, i === 0 ? ms : 0));
    });
  }
}

export async function render(
  ui: ReactNode,
  options: { fake?: FakeFetch; config?: Partial<UiConfig>; reload?: () => Promise<void> } = {},
): Promise<Rendered> {
  const fake = options.fake ?? new FakeFetch();
  const clock = new FakeClock();
  FakeSocket.instances = [];
  const rest = new RestClient({ fetch: fake.fetch });
  const socket = new EventSocket({ url: "ws://test/ws", createSocket: (url) => new FakeSocket(url), timers: clock });
  socket.start();
  FakeSocket.latest().open();
  const services = { rest, socket };
  const config = { ...baseConfig, ...options.config };
  const container = document.createElement("div");
  document.body.appendChild(container);
  const root: Root = createRoot(container);
  const wrap = (node: ReactNode) => (
    <ServicesContext.Provider value={services}>
      <ConfigContext.Provider value={{ config, reload: options.reload ?? (async () => {}) }}>
        <DeniedProvider>{node}</DeniedProvider>
      </ConfigContext.Provider>
    </ServicesContext.Provider>
  );
  await act(async () => root.render(wrap(ui)));
  await settle();
  return {
    container,
    fake,
    services,
    clock,
    ws: () => FakeSocket.latest(),
    rerender: async (node) => {
      await act(async () => root.render(wrap(node)));
      await settle();
    },
    unmount: () => {
      act(() => root.unmount());
      container.remove();
    },
  };
}

export function byTestId(container: ParentNode, id: string): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}

export function oneByTestId(container: ParentNode, id: string): HTMLElement {
  const found = byTestId(container, id);
  if (found.length !== 1) throw new Error(`expected one [data-testid="${id}"], found ${found.length}`);
  return found[0];
}

/** Set an input's value the way React notices, then fire input/change. */
export async function typeInto(element: HTMLElement, value: string): Promise<void> {
  const proto = element instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : element instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  const setter = Object.getOwnPropertyDescriptor(proto, "value")!.set!;
  await act(async () => {
    setter.call(element, value);
    element.dispatchEvent(new Event("input", { bubbles: true }));
    element.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

export async function click(element: HTMLElement): Promise<void> {
  await act(async () => {
    element.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  });
  await settle();
}
