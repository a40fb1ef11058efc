// The force form's model, from a ForceScheduler's `all_fields` tree: the
// initial values, the checks made before posting (the master checks again
// and has the last word), the JSON-RPC params, and the master's errors
// mapped back to the fields they name.
//
// Field types, as the master describes them (Buildbot's names, with the
// aliases some configs use):
//   text | string      one-line input          textarea | text-area   multi-line
//   int                whole number            bool                   check box
//   list | choice      select (multiple: several values)
//   username           one-line input; with need_email, "Name <address>"
//   nested | codebase  a group of fields (layout vertical, simple or tabs; columns)
//   anyproperty        a property name and value, posted as <fullName>_name/_value
//   fixed, or hide     not shown and not posted: the master uses the default

import type { ForceField } from "../data/types";

export type FormValue = string | boolean | string[];
export type FormValues = Record<string, FormValue>;
export type FieldErrors = Record<string, string>;

export const NESTED_TYPES = new Set(["nested", "codebase"]);

export function isNested(field: ForceField): boolean {
  return NESTED_TYPES.has(field.type) || Array.isArray(field.fields);
}

export function fieldKey(field: ForceField): string {
  return field.fullName ?? field.name;
}

/** Shown on the form: not hidden, not fixed, and (for a nest) with something shown inside. */
export function isShown(field: ForceField): boolean {
  if (field.hide || field.type === "fixed") return false;
  if (isNested(field)) return (field.fields ?? []).some(isShown);
  return true;
}

/** The fields that hold values, in form order, shown ones only. */
export function leaves(fields: ForceField[]): ForceField[] {
  const out: ForceField[] = [];
  for (const field of fields) {
    if (!isShown(field)) continue;
    if (isNested(field)) out.push(...leaves(field.fields ?? []));
    else out.push(field);
  }
  return out;
}

function isMultiple(field: ForceField): boolean {
  return Boolean(field.multiple) && (field.type === "list" || field.type === "choice");
}

function isChoice(field: ForceField): boolean {
  return field.type === "list" || field.type === "choice";
}

export function initialValues(fields: ForceField[]): FormValues {
  const values: FormValues = {};
  for (const field of leaves(fields)) {
    const key = fieldKey(field);
    const d = field.default;
    if (field.type === "bool") values[key] = d === true || d === "true" || d === 1;
    else if (isMultiple(field)) values[key] = Array.isArray(d) ? d.map(String) : d === null || d === undefined || d === "" ? [] : [String(d)];
    else if (field.type === "anyproperty") {
      values[`${key}_name`] = "";
      values[`${key}_value`] = "";
    } else if (isChoice(field) && (d === null || d === undefined || d === "") && field.choices?.length && field.strict !== false) {
      values[key] = String(field.choices[0]);
    } else values[key] = d === null || d === undefined ? "" : Array.isArray(d) ? d.join(",") : String(d);
  }
  return values;
}

/**
 * A JavaScript RegExp for a Python pattern, anchored at the start like
 * Python's `re.match`, or null when JavaScript cannot read it (the master
 * still checks it).
 */
export function pythonRegex(pattern: string): RegExp | null {
  let source = pattern;
  let flags = "";
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    if (inline[1].includes("i")) flags += "i";
    if (inline[1].includes("m")) flags += "m";
    if (inline[1].includes("s")) flags += "s";
  }
  source = source.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, "(?<$1>").replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, "\\k<$1>");
  source = source.replace(/\\Z/g, "$").replace(/\\A/g, "^");
  try {
    return new RegExp(`^(?:${source})`, flags);
  } catch {
    return null;
  }
}

const EMAIL = /[^\s<>@,;]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/;

/** The problems the form can see before posting, by field key. */
export function validate(fields: ForceField[], values: FormValues): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of leaves(fields)) {
    const key = fieldKey(field);
    if (field.type === "anyproperty" || field.type === "bool") continue;
    const value = values[key];
    if (Array.isArray(value)) {
      if (field.required && !value.length) errors[key] = "choose at least one";
      else if (field.strict !== false && field.choices && value.some((v) => !field.choices!.includes(v))) {
        errors[key] = "not one of the choices";
      }
      continue;
    }
    let text = typeof value === "string" ? value : "";
    if (!text.trim()) {
      if (field.required) {
        errors[key] = "required";
        continue;
      }
      // the master uses the default instead, and checks it like a given value
      if (typeof field.default !== "string" || !field.default.trim()) {
        if (field.regex && pythonRegex(field.regex)?.test(String(field.default ?? "")) === false) {
          errors[key] = `required: the default does not match the pattern ${field.regex}`;
        }
        continue;
      }
      text = field.default;
    }
    if (field.type === "int" && !/^\s*[+-]?\d+\s*$/.test(text)) {
      errors[key] = "must be a whole number";
      continue;
    }
    if (field.regex) {
      const re = pythonRegex(field.regex);
      if (re && !re.test(text)) {
        errors[key] = `does not match the pattern ${field.regex}`;
        continue;
      }
    }
    if (field.type === "username" && field.need_email && !EMAIL.test(text)) {
      errors[key] = "needs an email address: Name <you@example.com>";
      continue;
    }
    if (typeof field.maxsize === "number" && new TextEncoder().encode(text).length > field.maxsize) {
      errors[key] = `at most ${field.maxsize} bytes`;
    }
  }
  return errors;
}

/** The `force` call's params: builderid (a string, as Buildbot's UI sends it) and each shown field's value. */
export function toParams(fields: ForceField[], values: FormValues, builderid: number | string): Record<string, unknown> {
  const params: Record<string, unknown> = { builderid: String(builderid) };
  for (const field of leaves(fields)) {
    const key = fieldKey(field);
    if (field.type === "anyproperty") {
      params[`${key}_name`] = values[`${key}_name`] ?? "";
      params[`${key}_value`] = values[`${key}_value`] ?? "";
      continue;
    }
    const value = values[key];
    if (field.type === "int") {
      const text = String(value ?? "").trim();
      if (text) params[key] = Number(text);
      continue;
    }
    if (field.type === "bool") params[key] = Boolean(value);
    else params[key] = value ?? "";
  }
  return params;
}

/**
 * The master's error message split by the fields it names: "a_b: bad; c:
 * required" → {a_b: "bad", c: "required"}; what names no field is `general`.
 */
export function parseServerErrors(message: string, fields: ForceField[], data?: unknown): { fields: FieldErrors; general: string | null } {
  const known = new Set<string>();
  for (const field of leaves(fields)) {
    const key = fieldKey(field);
    known.add(key);
    if (field.type === "anyproperty") {
      known.add(`${key}_name`);
      known.add(`${key}_value`);
    }
  }
  const result: FieldErrors = {};
  const rest: string[] = [];
  const structured = (data as { errors?: unknown } | null | undefined)?.errors;
  if (structured && typeof structured === "object") {
    for (const [key, text] of Object.entries(structured as Record<string, unknown>)) {
      if (known.has(key)) result[key] = String(text);
      else rest.push(`${key}: ${String(text)}`);
    }
    return { fields: result, general: rest.length ? rest.join("; ") : Object.keys(result).length ? null : message };
  }
  // "invalid force parameters: branch: bad; reason: required": a field's
  // message starts at the message's start or after another "...: "
  for (const part of message.split(/;\s+/)) {
    let placed = false;
    for (const m of part.matchAll(/([A-Za-z0-9_.-]+):\s/g)) {
      const at = m.index ?? 0;
      if (!known.has(m[1]) || (at > 0 && !part.slice(0, at).endsWith(": "))) continue;
      result[m[1]] = part.slice(at + m[0].length);
      placed = true;
      break;
    }
    if (!placed) rest.push(part);
  }
  return { fields: result, general: rest.length ? rest.join("; ") : null };
}
