// The force dialog: a form drawn from the scheduler's parameter tree,
// checked before posting, with the master's errors shown beside the fields
// they name.

import { useContext, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { actionKind, DeniedContext } from "../components/control";
import { useConfig, useServices } from "../data/hooks";
import { ControlError } from "../data/rest";
import type { ForceField, ForceScheduler } from "../data/types";
import {
  fieldKey,
  initialValues,
  isNested,
  isShown,
  leaves,
  parseServerErrors,
  toParams,
  validate,
  type FieldErrors,
  type FormValue,
  type FormValues,
} from "./fields";

export type ForceResult = [number, Record<string, number>];

interface FieldProps {
  field: ForceField;
  values: FormValues;
  errors: FieldErrors;
  set: (key: string, value: FormValue) => void;
}

function Label({ field, htmlFor }: { field: ForceField; htmlFor: string }) {
  return (
    <label htmlFor={htmlFor} title={field.tooltip || undefined}>
      {field.label || field.name}
      {field.required && <span className="req"> *</span>}
    </label>
  );
}

function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <div className="ff-error" role="alert" data-testid={`force-error-${id}`}>
      {message}
    </div>
  );
}

function Leaf({ field, values, errors, set }: FieldProps) {
  const key = fieldKey(field);
  const id = `ff-${key}`;
  const value = values[key];
  const error = errors[key];
  const invalid = error ? " invalid" : "";
  const testid = `force-field-${key}`;
  switch (field.type) {
    case "bool":
      return (
        <div className={`ff-field bool${invalid}`}>
          <input id={id} type="checkbox" checked={Boolean(value)} onChange={(e) => set(key, e.target.checked)} data-testid={testid} />
          <Label field={field} htmlFor={id} />
          <FieldError id={key} message={error} />
        </div>
      );
    case "textarea":
    case "text-area":
      return (
        <div className={`ff-field${invalid}`}>
          <Label field={field} htmlFor={id} />
          <textarea
            id={id}
            rows={Math.min(field.rows ?? 4, 12)}
            value={String(value ?? "")}
            onChange={(e) => set(key, e.target.value)}
            data-testid={testid}
          />
          <FieldError id={key} message={error} />
        </div>
      );
    case "list":
    case "choice": {
      const choices = (field.choices ?? []).map(String);
      if (field.multiple) {
        const selected = Array.isArray(value) ? value : [];
        return (
          <div className={`ff-field${invalid}`}>
            <Label field={field} htmlFor={id} />
            <select
              id={id}
              multiple
              size={Math.min(6, Math.max(2, choices.length))}
              value={selected}
              onChange={(e) => set(key, [...e.target.selectedOptions].map((o) => o.value))}
              data-testid={testid}
            >
              {choices.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
            <FieldError id={key} message={error} />
          </div>
        );
      }
      const text = String(value ?? "");
      if (field.strict === false) {
        return (
          <div className={`ff-field${invalid}`}>
            <Label field={field} htmlFor={id} />
            <input id={id} list={`${id}-choices`} value={text} onChange={(e) => set(key, e.target.value)} data-testid={testid} />
            <datalist id={`${id}-choices`}>
              {choices.map((c) => (
                <option key={c} value={c} />
              ))}
            </datalist>
            <FieldError id={key} message={error} />
          </div>
        );
      }
      return (
        <div className={`ff-field${invalid}`}>
          <Label field={field} htmlFor={id} />
          <select id={id} value={text} onChange={(e) => set(key, e.target.value)} data-testid={testid}>
            {!choices.includes(text) && <option value={text}>{text}</option>}
            {choices.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <FieldError id={key} message={error} />
        </div>
      );
    }
    case "anyproperty":
      return (
        <div className={`ff-field${errors[key] ? " invalid" : ""}`}>
          <Label field={field} htmlFor={`${id}_name`} />
          <div className="control">
            <input
              id={`${id}_name`}
              placeholder="property name"
              value={String(values[`${key}_name`] ?? "")}
              onChange={(e) => set(`${key}_name`, e.target.value)}
              data-testid={`${testid}_name`}
            />
            <input
              placeholder="value"
              value={String(values[`${key}_value`] ?? "")}
              onChange={(e) => set(`${key}_value`, e.target.value)}
              data-testid={`${testid}_value`}
            />
          </div>
          <FieldError id={key} message={errors[key] ?? errors[`${key}_name`] ?? errors[`${key}_value`]} />
        </div>
      );
    default: {
      // text, string, int, username and anything unknown: one line of text
      return (
        <div className={`ff-field${invalid}`}>
          <Label field={field} htmlFor={id} />
          <input
            id={id}
            type="text"
            inputMode={field.type === "int" ? "numeric" : undefined}
            value={String(value ?? "")}
            placeholder={field.type === "username" && field.need_email ? "Name <you@example.com>" : undefined}
            onChange={(e) => set(key, e.target.value)}
            data-testid={testid}
          />
          <FieldError id={key} message={error} />
        </div>
      );
    }
  }
}

function Nested(props: FieldProps) {
  const { field } = props;
  const children = (field.fields ?? []).filter(isShown);
  const [tab, setTab] = useState(0);
  const columns = Math.max(1, Math.min(4, field.columns ?? 1));
  const grid = (items: ForceField[]) => (
    <div className="ff-nested" style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
      {items.map((child) => (
        <FieldNode key={fieldKey(child) || child.label} {...props} field={child} />
      ))}
    </div>
  );
  let body: ReactNode;
  if (field.layout === "tabs" && children.length > 1) {
    const current = children[Math.min(tab, children.length - 1)];
    body = (
      <div>
        <div className="ff-tabs" role="tablist">
          {children.map((child, i) => (
            <button
              key={fieldKey(child) || i}
              type="button"
              role="tab"
              className={i === tab ? "on" : undefined}
              onClick={() => setTab(i)}
              data-testid={`force-tab-${fieldKey(child)}`}
            >
              {child.tablabel || child.label || child.name}
            </button>
          ))}
        </div>
        {isNested(current) ? <Nested {...props} field={{ ...current, label: "" }} /> : grid([current])}
      </div>
    );
  } else {
    body = grid(children);
  }
  if (!field.label) return <>{body}</>;
  return (
    <fieldset className="ff-nested labelled" data-testid={`force-group-${fieldKey(field) || "root"}`}>
      <legend>{field.label}</legend>
      {body}
    </fieldset>
  );
}

function FieldNode(props: FieldProps) {
  if (!isShown(props.field)) return null;
  return isNested(props.field) ? <Nested {...props} /> : <Leaf {...props} />;
}

export function ForceDialog({
  scheduler,
  builderid,
  onClose,
  onForced,
}: {
  scheduler: ForceScheduler;
  builderid: number;
  onClose: () => void;
  onForced?: (result: ForceResult) => void;
}) {
  const { rest } = useServices();
  const { config } = useConfig();
  const { deny } = useContext(DeniedContext);
  const fields = scheduler.all_fields ?? [];
  const [values, setValues] = useState<FormValues>(() => {
    const v = initialValues(fields);
    // a logged-in user forces as themselves
    const user = config.user;
    if (!user.anonymous && user.username) {
      for (const field of leaves(fields)) {
        const key = fieldKey(field);
        if (field.type === "username" && v[key] === "") {
          // Without an address to show, a field that needs one stays empty: the master
          // takes the owner from the session anyway.
          if (user.email) v[key] = `${user.full_name || user.username} <${user.email}>`;
          else if (!field.need_email) v[key] = user.username;
        }
      }
    }
    return v;
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const set = (key: string, value: FormValue) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => {
      if (!(key in e)) return e;
      const next = { ...e };
      delete next[key];
      return next;
    });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate(fields, values);
    setErrors(found);
    setGeneral(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const result = await rest.control<ForceResult>(`forceschedulers/${encodeURIComponent(scheduler.name)}`, "force", toParams(fields, values, builderid));
      onForced?.(result);
      onClose();
    } catch (e) {
      if (e instanceof ControlError) {
        if (e.status === 403) deny(actionKind(`forceschedulers/${scheduler.name}`, "force"));
        const parsed = parseServerErrors(e.message, fields, e.data);
        setErrors(parsed.fields);
        setGeneral(parsed.general);
      } else {
        setGeneral((e as Error).message);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="modal-back" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <form className="modal" role="dialog" aria-label={scheduler.label} onSubmit={submit} noValidate data-testid="force-dialog">
        <header>
          <h2>{scheduler.label || scheduler.name}</h2>
          <span className="spacer" />
          <button type="button" className="link" onClick={onClose} aria-label="close">
            ✕
          </button>
        </header>
        <div className="modal-body">
          {fields.map((field, i) => (
            <FieldNode key={fieldKey(field) || i} field={field} values={values} errors={errors} set={set} />
          ))}
          {general && (
            <div className="error-box" role="alert" data-testid="force-general-error">
              {general}
            </div>
          )}
        </div>
        <footer>
          <button type="button" onClick={onClose} data-testid="force-cancel">
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy} data-testid="force-submit">
            {scheduler.button_name || "Force"}
          </button>
        </footer>
      </form>
    </div>
  );
}
