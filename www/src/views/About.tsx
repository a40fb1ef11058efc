// About: versions and what /config says about this master.

import { version as REACT_VERSION } from "react";
import { Section } from "../components/common";
import { useConfig } from "../data/hooks";

export function AboutView() {
  const { config } = useConfig();
  const user = config.user ?? { anonymous: true };
  return (
    <div className="page" data-testid="about">
      <Section title="This master">
        <table className="kv">
          <tbody>
            <tr>
              <th>Title</th>
              <td>{config.titleURL ? <a href={config.titleURL}>{config.title}</a> : config.title}</td>
            </tr>
            <tr>
              <th>URL</th>
              <td className="mono">{config.buildbotURL}</td>
            </tr>
            <tr>
              <th>Authentication</th>
              <td>{config.auth?.name ?? "NoAuth"}</td>
            </tr>
            <tr>
              <th>You are</th>
              <td>
                {user.anonymous || !user.username
                  ? "anonymous"
                  : `${user.full_name || user.username}${user.email ? ` <${user.email}>` : ""}`}
                {user.groups?.length ? <span className="muted"> · groups: {user.groups.join(", ")}</span> : null}
                {user.roles?.length ? <span className="muted"> · roles: {user.roles.join(", ")}</span> : null}
              </td>
            </tr>
          </tbody>
        </table>
      </Section>
      <Section title="Versions">
        <table className="kv" data-testid="versions">
          <tbody>
            {(config.versions ?? []).map(([name, version]) => (
              <tr key={name}>
                <th>{name}</th>
                <td className="mono">{version}</td>
              </tr>
            ))}
            <tr>
              <th>web UI</th>
              <td className="mono">React {REACT_VERSION}</td>
            </tr>
          </tbody>
        </table>
      </Section>
    </div>
  );
}
