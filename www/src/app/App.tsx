// The page: loads /config, provides the data client, and lays out the top
// bar, the connection banner and the routed view.

import { useCallback, useEffect, useMemo, useState } from "react";
import { DeniedProvider } from "../components/control";
import { ErrorBox, Loading } from "../components/common";
import { ConfigContext, ServicesContext, type Services } from "../data/hooks";
import { ApiError, RestClient } from "../data/rest";
import { EventSocket, socketUrl } from "../data/socket";
import type { UiConfig } from "../data/types";
import { ConnectionBanner } from "./ConnectionBanner";
import { TopBar } from "./TopBar";
import { RouteView } from "./routes";

export function createServices(): Services {
  const rest = new RestClient();
  const socket = new EventSocket({ url: socketUrl(window.location.href) });
  return { rest, socket };
}

export function App({ services }: { services: Services }) {
  const [config, setConfig] = useState<UiConfig | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const reload = useCallback(async () => {
    try {
      const next = await services.rest.getJson<UiConfig>("config");
      services.rest.csrfToken = next.csrf_token ?? null;
      setConfig(next);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
    }
  }, [services]);

  useEffect(() => {
    services.socket.start();
    void reload();
    return () => services.socket.stop();
  }, [services, reload]);

  useEffect(() => {
    if (config) document.title = config.title || "Marid";
  }, [config]);

  const configState = useMemo(() => (config ? { config, reload } : null), [config, reload]);

  if (!configState) {
    return (
      <div className="boot">
        {error ? <ErrorBox error={error} retry={() => void reload()} /> : <Loading what="configuration" />}
      </div>
    );
  }
  const userKey = config?.user.username ?? "anonymous";
  return (
    <ServicesContext.Provider value={services}>
      <ConfigContext.Provider value={configState}>
        <DeniedProvider key={userKey}>
          <TopBar />
          <ConnectionBanner />
          <main className="main">
            <RouteView />
          </main>
        </DeniedProvider>
      </ConfigContext.Provider>
    </ServicesContext.Provider>
  );
}
