import { describe, expect, it } from "vitest";
import type { ForceField } from "../data/types";
import { initialValues, leaves, parseServerErrors, pythonRegex, toParams, validate } from "./fields";

function field(type: string, name: string, extra: Partial<ForceField> = {}): ForceField {
  return {
    type,
    name,
    fullName: name,
    label: name,
    default: "",
    required: false,
    multiple: false,
    regex: null,
    hide: false,
    ...extra,
  };
}

/** The tree Buildbot's default ForceScheduler sends, plus a codebase and a properties nest. */
const tree: ForceField[] = [
  field("nested", "", {
    fullName: null,
    layout: "vertical",
    fields: [
      field("username", "username", { need_email: true, label: "Your name:" }),
      field("text", "reason", { default: "force build", required: true }),
      field("int", "priority", { default: 0 }),
    ],
  }),
  field("nested", "", {
    fullName: null,
    label: "Codebase: app",
    columns: 1,
    fields: [
      field("text", "branch", { fullName: "branch", regex: "^[\\w./-]*$" }),
      field("fixed", "repository", { fullName: "repository", default: "file:///srv/repo", hide: true }),
      field("text", "revision", { fullName: "revision" }),
    ],
  }),
  field("nested", "props", {
    fullName: "props",
    layout: "tabs",
    fields: [
      field("bool", "clean", { fullName: "props_clean", default: true }),
      field("list", "os", { fullName: "props_os", choices: ["linux", "mac", "win"], multiple: true, default: ["linux"], required: true }),
      field("list", "level", { fullName: "props_level", choices: ["fast", "full"] }),
      field("textarea", "notes", { fullName: "props_notes" }),
      field("anyproperty", "extra", { fullName: "props_extra" }),
      field("int", "jobs", { fullName: "props_jobs", default: null }),
    ],
  }),
];

describe("leaves and initialValues", () => {
  it("lists the shown fields in order, leaving out fixed and hidden ones", () => {
    expect(leaves(tree).map((f) => f.fullName)).toEqual([
      "username",
      "reason",
      "priority",
      "branch",
      "revision",
      "props_clean",
      "props_os",
      "props_level",
      "props_notes",
      "props_extra",
      "props_jobs",
    ]);
  });

  it("starts from each field's default, typed for its input", () => {
    expect(initialValues(tree)).toEqual({
      username: "",
      reason: "force build",
      priority: "0",
      branch: "",
      revision: "",
      props_clean: true,
      props_os: ["linux"],
      props_level: "fast", // a strict choice without a default starts at the first choice
      props_notes: "",
      props_extra_name: "",
      props_extra_value: "",
      props_jobs: "",
    });
  });
});

describe("validate", () => {
  it("accepts the defaults", () => {
    expect(validate(tree, initialValues(tree))).toEqual({});
  });

  it("reports required, whole-number, pattern, email and choice problems by fullName", () => {
    const values = {
      ...initialValues(tree),
      reason: "  ",
      priority: "high",
      branch: "feature branch!",
      username: "just a name",
      props_os: [],
      props_jobs: "4.5",
    };
    expect(validate(tree, values)).toEqual({
      reason: "required",
      priority: "must be a whole number",
      branch: "does not match the pattern ^[\\w./-]*$",
      username: "needs an email address: Name <you@example.com>",
      props_os: "choose at least one",
      props_jobs: "must be a whole number",
    });
  });

  it("checks the default when no value is given, as the master does", () => {
    const f = [field("text", "tag", { regex: "v\\d+" })];
    expect(validate(f, { tag: "" })).toEqual({ tag: "required: the default does not match the pattern v\\d+" });
    expect(validate([field("text", "tag", { regex: "(v\\d+)?" })], { tag: "" })).toEqual({});
  });

  it("anchors patterns at the start like Python's re.match", () => {
    const f = [field("text", "tag", { regex: "v\\d+" })];
    expect(validate([field("text", "tag", { regex: "v\\d+", default: "v1" })], { tag: "" })).toEqual({});
    expect(validate(f, { tag: "v12-rc" })).toEqual({});
    expect(validate(f, { tag: "x-v12" })).toEqual({ tag: "does not match the pattern v\\d+" });
  });
});

describe("pythonRegex", () => {
  it("reads Python's named groups and inline flags, and gives up on what JavaScript cannot read", () => {
    expect(pythonRegex("(?P<major>\\d+)\\.(?P=major)")!.test("3.3")).toBe(true);
    expect(pythonRegex("(?i)release")!.test("RELEASE-1")).toBe(true);
    expect(pythonRegex("(?<!x")).toBeNull();
  });
});

describe("toParams", () => {
  it("sends builderid as a string, numbers for ints, booleans, lists, and leaves out empty ints and fixed fields", () => {
    const values = { ...initialValues(tree), username: "Ann <ann@example.org>", props_os: ["linux", "win"], props_extra_name: "X", props_extra_value: "1" };
    expect(toParams(tree, values, 3)).toEqual({
      builderid: "3",
      username: "Ann <ann@example.org>",
      reason: "force build",
      priority: 0,
      branch: "",
      revision: "",
      props_clean: true,
      props_os: ["linux", "win"],
      props_level: "fast",
      props_notes: "",
      props_extra_name: "X",
      props_extra_value: "1",
    });
  });
});

describe("parseServerErrors", () => {
  it("puts each 'fullName: message' beside its field and keeps the rest general", () => {
    expect(parseServerErrors("branch: 'x y' is not an accepted branch; props_os: 'bsd' is not a choice", tree)).toEqual({
      fields: { branch: "'x y' is not an accepted branch", props_os: "'bsd' is not a choice" },
      general: null,
    });
    expect(parseServerErrors("the scheduler is disabled", tree)).toEqual({ fields: {}, general: "the scheduler is disabled" });
    expect(parseServerErrors("builderid: no builder with id '9'", tree)).toEqual({ fields: {}, general: "builderid: no builder with id '9'" });
  });

  it("reads the fields after the master's leading summary", () => {
    expect(parseServerErrors("invalid force parameters: branch: 'x' is bad; reason: a value is required", tree)).toEqual({
      fields: { branch: "'x' is bad", reason: "a value is required" },
      general: null,
    });
    expect(parseServerErrors("invalid force parameters: nosuch: what", tree).general).toBe("invalid force parameters: nosuch: what");
  });

  it("reads a structured errors object when the master sends one", () => {
    expect(parseServerErrors("bad", tree, { errors: { reason: "required", other: "x" } })).toEqual({
      fields: { reason: "required" },
      general: "other: x",
    });
  });
});
