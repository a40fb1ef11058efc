// Title, navigation, connection state and the login/logout controls.

import { useState, type FormEvent } from "react";
import { useConfig, useConnectionState, useServices } from "../data/hooks";
import { ApiError } from "../data/rest";
import { href, useRoute } from "./router";

const NAV: [string, string][] = [
  ["", "Home"],
  ["builders", "Builders"],
  ["waterfall", "Waterfall"],
  ["console", "Console"],
  ["grid", "Grid"],
  ["pending", "Pending"],
  ["workers", "Workers"],
  ["changes", "Changes"],
  ["schedulers", "Schedulers"],
  ["masters", "Masters"],
  ["about", "About"],
];

export function TopBar() {
  const { config } = useConfig();
  const route = useRoute();
  const state = useConnectionState();
  const current = route.parts[0] ?? "";
  const section = current === "builds" || current === "logs" ? "builders" : current;
  return (
    <header className="topbar">
      <a className="brand" href={config.titleURL || href("")} title={config.title}>
        {config.title || "Marid"}
      </a>
      <nav>
        {NAV.map(([path, label]) => (
          <a key={path} href={href(path)} className={section === path ? "active" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <span className={`conn-dot conn-${state}`} title={`live updates: ${state}`} data-testid="connection-state" data-state={state} />
      <UserMenu />
    </header>
  );
}

function basic(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

function UserMenu() {
  const { config, reload } = useConfig();
  const { rest, socket } = useServices();
  const [open, setOpen] = useState(false);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const authName = config.auth?.name ?? "NoAuth";
  const user = config.user ?? { anonymous: true };

  const afterChange = async () => {
    await reload();
    // the socket's session changed too: consume again with the new rights
    socket.stop();
    socket.start();
  };

  const logout = async () => {
    try {
      await rest.getJson("auth/logout");
    } catch {
      // logged out or not, read the state again
    }
    await afterChange();
  };

  if (!user.anonymous && user.username) {
    return (
      <span className="user" data-testid="user">
        <span title={[user.email, ...(user.groups ?? [])].filter(Boolean).join(", ")}>{user.full_name || user.username}</span>
        {authName !== "NoAuth" && authName !== "RemoteUserAuth" && (
          <button type="button" className="link" onClick={logout} data-testid="logout">
            Log out
          </button>
        )}
      </span>
    );
  }
  if (authName === "NoAuth") return null;
  if (authName === "RemoteUserAuth") return <span className="user">not logged in</span>;
  if (authName !== "UserPasswordAuth" && config.auth.loginURL) {
    return (
      <a className="login-link" href={config.auth.loginURL} data-testid="login">
        Log in
      </a>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await rest.getJson("auth/login", undefined, { Authorization: basic(username, password) });
      setPassword("");
      setOpen(false);
      await afterChange();
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? "wrong user name or password" : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <span className="user">
      <button type="button" className="link" onClick={() => setOpen(!open)} data-testid="login">
        Log in
      </button>
      {open && (
        <form className="login-form" onSubmit={submit} data-testid="login-form">
          <input
            autoFocus
            placeholder="user name"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            data-testid="login-username"
          />
          <input
            type="password"
            placeholder="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="login-password"
          />
          <button type="submit" disabled={busy || !username} data-testid="login-submit">
            Log in
          </button>
          {error && (
            <div className="form-error" role="alert" data-testid="login-error">
              {error}
            </div>
          )}
        </form>
      )}
    </span>
  );
}
