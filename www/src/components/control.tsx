// Control actions (JSON-RPC) behind buttons. The master decides who may do
// what: a button is shown until the master answers 403 for that kind of
// action (`workers.pause`, `builds.stop`...); then the clicked button shows
// the master's message and the other buttons of that kind are hidden, until
// the user logs in or out.

import { createContext, useCallback, useContext, useState, type ReactNode } from "react";
import { useServices } from "../data/hooks";
import { ControlError } from "../data/rest";

interface DeniedState {
  denied: ReadonlySet<string>;
  deny: (kind: string) => void;
}

export const DeniedContext = createContext<DeniedState>({ denied: new Set(), deny: () => {} });

/** Holds the denied action kinds; remount it (key = user) to forget them. */
export function DeniedProvider({ children }: { children: ReactNode }) {
  const [denied, setDenied] = useState<ReadonlySet<string>>(new Set());
  const deny = useCallback((kind: string) => setDenied((d) => new Set(d).add(kind)), []);
  return <DeniedContext.Provider value={{ denied, deny }}>{children}</DeniedContext.Provider>;
}

/** `workers/3` + `pause` → `workers.pause`. */
export function actionKind(path: string, method: string): string {
  return `${path.split("/")[0]}.${method}`;
}

export function useDenied(path: string, method: string): boolean {
  return useContext(DeniedContext).denied.has(actionKind(path, method));
}

export interface ControlState {
  busy: boolean;
  error: string | null;
  run: (params?: Record<string, unknown>) => Promise<unknown>;
}

/** Run one control action; errors are kept for display, a 403 denies the kind. */
export function useControl(path: string, method: string): ControlState {
  const { rest } = useServices();
  const { deny } = useContext(DeniedContext);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (params: Record<string, unknown> = {}) => {
    setBusy(true);
    setError(null);
    try {
      return await rest.control(path, method, params);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      setError(message);
      if (e instanceof ControlError && e.status === 403) deny(actionKind(path, method));
      throw e;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export function ControlButton({
  path,
  method,
  params,
  label,
  testid,
  confirm,
  className,
  onDone,
}: {
  path: string;
  method: string;
  params?: Record<string, unknown> | (() => Record<string, unknown> | null);
  label: string;
  testid: string;
  /** Asked with window.confirm before running. */
  confirm?: string;
  className?: string;
  onDone?: (result: unknown) => void;
}) {
  const denied = useDenied(path, method);
  const control = useControl(path, method);
  const [failedHere, setFailedHere] = useState(false);
  if (denied && !failedHere) return null;
  const click = async () => {
    if (confirm && !window.confirm(confirm)) return;
    const p = typeof params === "function" ? params() : params;
    if (p === null) return;
    try {
      const result = await control.run(p);
      setFailedHere(false);
      onDone?.(result);
    } catch {
      setFailedHere(true);
    }
  };
  return (
    <span className="control">
      <button
        type="button"
        className={className ?? "btn"}
        data-testid={testid}
        disabled={control.busy || denied}
        onClick={click}
      >
        {label}
      </button>
      {control.error && (
        <span className="control-error" role="alert" data-testid="control-error">
          {control.error}
        </span>
      )}
    </span>
  );
}
