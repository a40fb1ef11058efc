import { afterEach, describe, expect, it, vi } from "vitest";
import type { ForceField, ForceScheduler } from "../data/types";
import { FakeFetch } from "../test/fakes";
import { byTestId, click, oneByTestId, render, settle, typeInto, type Rendered } from "../test/render";
import { ForceDialog } from "./ForceDialog";

function field(type: string, name: string, extra: Partial<ForceField> = {}): ForceField {
  return { type, name, fullName: name, label: name, default: "", required: false, multiple: false, regex: null, hide: false, ...extra };
}

const scheduler: ForceScheduler = {
  name: "force",
  label: "Force a build",
  button_name: "Start build",
  builder_names: ["app"],
  enabled: true,
  all_fields: [
    field("nested", "", {
      fullName: null,
      fields: [
        field("username", "username", { need_email: false }),
        field("text", "reason", { required: true, default: "because" }),
        field("int", "priority", { default: 0 }),
      ],
    }),
    field("nested", "", {
      fullName: null,
      label: "Codebase",
      fields: [field("text", "branch"), field("fixed", "repository", { hide: true, default: "/srv/repo" })],
    }),
    field("nested", "opts", {
      fullName: "opts",
      layout: "tabs",
      fields: [
        field("nested", "build", { fullName: "opts_build", label: "Build", fields: [field("bool", "clean", { fullName: "opts_build_clean" })] }),
        field("nested", "test", {
          fullName: "opts_test",
          label: "Test",
          fields: [field("list", "suites", { fullName: "opts_test_suites", choices: ["unit", "e2e"], multiple: true, default: ["unit"] })],
        }),
      ],
    }),
  ],
};

let r: Rendered | null = null;
afterEach(() => {
  r?.unmount();
  r = null;
});

describe("ForceDialog", () => {
  it("draws a field per shown parameter, with tabs for a tabs layout", async () => {
    r = await render(<ForceDialog scheduler={scheduler} builderid={3} onClose={() => {}} />);
    expect(oneByTestId(r.container, "force-field-reason")).toHaveProperty("value", "because");
    expect(oneByTestId(r.container, "force-field-priority")).toHaveProperty("value", "0");
    expect(byTestId(r.container, "force-field-repository")).toHaveLength(0);
    expect(byTestId(r.container, "force-field-opts_build_clean")).toHaveLength(1);
    expect(byTestId(r.container, "force-field-opts_test_suites")).toHaveLength(0);
    await click(oneByTestId(r.container, "force-tab-opts_test"));
    expect(byTestId(r.container, "force-field-opts_test_suites")).toHaveLength(1);
    expect(oneByTestId(r.container, "force-submit").textContent).toBe("Start build");
  });

  it("does not post a form that fails its own checks, and says why", async () => {
    const fake = new FakeFetch();
    r = await render(<ForceDialog scheduler={scheduler} builderid={3} onClose={() => {}} />, { fake });
    await typeInto(oneByTestId(r.container, "force-field-reason"), "");
    await typeInto(oneByTestId(r.container, "force-field-priority"), "soon");
    await click(oneByTestId(r.container, "force-submit"));
    expect(oneByTestId(r.container, "force-error-reason").textContent).toBe("required");
    expect(oneByTestId(r.container, "force-error-priority").textContent).toBe("must be a whole number");
    expect(fake.requests).toHaveLength(0);
    // correcting a field clears its message
    await typeInto(oneByTestId(r.container, "force-field-priority"), "5");
    expect(byTestId(r.container, "force-error-priority")).toHaveLength(0);
  });

  it("shows the master's validation error beside the field it names", async () => {
    const fake = new FakeFetch().on("forceschedulers/force", {
      status: 400,
      body: { jsonrpc: "2.0", id: 1, error: { code: -32602, message: "branch: 'no such' is not an accepted branch" } },
    });
    const onClose = vi.fn();
    r = await render(<ForceDialog scheduler={scheduler} builderid={3} onClose={onClose} />, { fake });
    await typeInto(oneByTestId(r.container, "force-field-branch"), "no such");
    await click(oneByTestId(r.container, "force-submit"));
    expect(oneByTestId(r.container, "force-error-branch").textContent).toBe("'no such' is not an accepted branch");
    expect(byTestId(r.container, "force-general-error")).toHaveLength(0);
    expect(onClose).not.toHaveBeenCalled();
  });

  it("shows a refusal that names no field as a general error", async () => {
    const fake = new FakeFetch().on("forceschedulers/force", {
      status: 403,
      body: { jsonrpc: "2.0", id: 1, error: { code: -32000, message: "you may not force builds" } },
    });
    r = await render(<ForceDialog scheduler={scheduler} builderid={3} onClose={() => {}} />, { fake });
    await click(oneByTestId(r.container, "force-submit"));
    expect(oneByTestId(r.container, "force-general-error").textContent).toBe("you may not force builds");
  });

  it("leaves a name field that needs an address empty for a user without one", async () => {
    const tree = [{ ...scheduler.all_fields![0], fields: [field("username", "username", { need_email: true, label: "Your name:" })] }];
    r = await render(<ForceDialog scheduler={{ ...scheduler, all_fields: tree }} builderid={3} onClose={() => {}} />, {
      config: { user: { username: "viewer", groups: [] } },
    });
    expect((oneByTestId(r.container, "force-field-username") as HTMLInputElement).value).toBe("");
  });

  it("posts the force call with the fields' values and reports the new request", async () => {
    const fake = new FakeFetch().on("forceschedulers/force", { body: { jsonrpc: "2.0", id: 1, result: [12, { "3": 40 }] } });
    const onForced = vi.fn();
    const onClose = vi.fn();
    r = await render(<ForceDialog scheduler={scheduler} builderid={3} onClose={onClose} onForced={onForced} />, {
      fake,
      config: { user: { username: "ann", full_name: "Ann", email: "ann@example.org", groups: [] } },
    });
    r.services.rest.csrfToken = "csrf-1";
    await typeInto(oneByTestId(r.container, "force-field-branch"), "main");
    await click(oneByTestId(r.container, "force-field-opts_build_clean"));
    await click(oneByTestId(r.container, "force-submit"));
    await settle();
    const post = fake.requests.find((q) => q.method === "POST")!;
    expect(post.url).toBe("api/v2/forceschedulers/force");
    expect(post.headers["x-marid-csrf"]).toBe("csrf-1");
    expect(post.body).toMatchObject({
      method: "force",
      params: {
        builderid: "3",
        username: "Ann <ann@example.org>",
        reason: "because",
        priority: 0,
        branch: "main",
        opts_build_clean: true,
        opts_test_suites: ["unit"],
      },
    });
    expect((post.body as { params: Record<string, unknown> }).params).not.toHaveProperty("repository");
    expect(onForced).toHaveBeenCalledWith([12, { "3": 40 }]);
    expect(onClose).toHaveBeenCalled();
  });
});
