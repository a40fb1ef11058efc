// The entities of the master's /api/v2, as Buildbot's data API shapes them,
// plus the UI-only aggregated endpoints under /api/v2/ui/. Fields the UI does
// not read are left out; everything a field may be null for is typed so.

export type Results = number | null;

/** A property as the API gives it: `[value, source]`. */
export type PropertyValue = [unknown, string];

export interface Build {
  buildid: number;
  number: number;
  builderid: number;
  buildrequestid: number;
  workerid: number | null;
  masterid: number;
  started_at: number;
  complete_at: number | null;
  complete: boolean;
  state_string: string;
  results: Results;
  locks_duration_s?: number;
  properties?: Record<string, PropertyValue>;
  /** Only in the /ui/ endpoints' builds. */
  buildername?: string;
}

export interface Builder {
  builderid: number;
  name: string;
  description: string | null;
  description_format?: string | null;
  description_html?: string | null;
  tags: string[];
  masterids: number[];
  projectid?: number | null;
}

export interface Step {
  stepid: number;
  buildid: number;
  number: number;
  name: string;
  started_at: number | null;
  complete_at: number | null;
  complete: boolean;
  results: Results;
  state_string: string;
  hidden: boolean;
  urls: { name: string; url: string }[];
  locks_acquired_at?: number | null;
}

export interface Log {
  logid: number;
  stepid: number;
  name: string;
  slug: string;
  /** 's' stdio (a stream char per line), 't' text, 'h' html, 'd' deleted. */
  type: string;
  complete: boolean;
  num_lines: number;
}

export interface LogChunk {
  logid: number;
  firstline: number;
  content: string;
}

export interface Worker {
  workerid: number;
  name: string;
  paused: boolean;
  pause_reason?: string | null;
  graceful: boolean;
  configured_on: { builderid: number; masterid: number }[];
  connected_to: { masterid: number }[];
  workerinfo: Record<string, unknown>;
}

export interface BuildRequest {
  buildrequestid: number;
  buildsetid: number;
  builderid: number;
  priority: number;
  claimed: boolean;
  claimed_at: number | null;
  claimed_by_masterid: number | null;
  complete: boolean;
  complete_at: number | null;
  results: Results;
  submitted_at: number;
  waited_for: boolean;
  properties?: Record<string, PropertyValue> | null;
}

export interface SourceStamp {
  ssid: number;
  branch: string | null;
  codebase: string;
  project: string;
  repository: string;
  revision: string | null;
  created_at?: number;
}

export interface Buildset {
  bsid: number;
  complete: boolean;
  complete_at: number | null;
  external_idstring: string | null;
  parent_buildid: number | null;
  parent_relationship: string | null;
  reason: string;
  results: Results;
  sourcestamps: SourceStamp[];
  submitted_at: number;
}

export interface Change {
  changeid: number;
  author: string;
  committer?: string | null;
  branch: string | null;
  category: string | null;
  codebase: string;
  comments: string;
  files: string[];
  project: string;
  repository: string;
  revision: string | null;
  revlink?: string | null;
  when_timestamp: number;
  sourcestamp?: SourceStamp;
}

export interface Master {
  masterid: number;
  name: string;
  active: boolean;
  last_active: number;
}

export interface Scheduler {
  schedulerid: number;
  name: string;
  enabled: boolean;
  master: Master | null;
}

export interface ForceField {
  type: string;
  name: string;
  fullName: string | null;
  label: string;
  tablabel?: string;
  default: unknown;
  required: boolean;
  multiple: boolean;
  regex: string | null;
  hide: boolean;
  tooltip?: string;
  maxsize?: number | null;
  choices?: string[];
  strict?: boolean;
  size?: number;
  cols?: number;
  rows?: number;
  need_email?: boolean;
  layout?: string;
  columns?: number;
  fields?: ForceField[];
}

export interface ForceScheduler {
  name: string;
  label: string;
  button_name: string;
  builder_names: string[];
  enabled: boolean;
  all_fields: ForceField[];
}

export interface UiUser {
  anonymous?: boolean;
  username?: string;
  full_name?: string;
  email?: string;
  groups?: string[];
  roles?: string[];
}

export interface UiConfig {
  title: string;
  titleURL: string;
  buildbotURL: string;
  versions: [string, string][];
  auth: { name: string; loginURL?: string };
  user: UiUser;
  csrf_token?: string;
}

export interface Collection<T> {
  items: T[];
  total: number | null;
}

export interface UiHome {
  running: Build[];
  recent: Build[];
  workers: { total: number; connected: number; paused: number };
  pending: number;
  /** builders some master configures */
  builders: number;
  /** builders no master configures any more */
  inactive_builders?: number;
}

export interface UiBuilderSummary extends Builder {
  last_builds: Build[];
  running: number;
  pending: number;
}

export interface UiStep extends Step {
  logs: Log[];
}

export interface UiBuild {
  build: Build;
  builder: Builder;
  steps: UiStep[];
  worker: Worker | null;
  changes: Change[];
  buildrequest: BuildRequest | null;
  triggered: Build[];
  parent: Build | null;
}

export interface LogSearchResult {
  matches: { line: number; text: string }[];
  meta: { more: boolean; next: number | null };
}

/** A websocket event: `k` the routing key (`builds/12/finished`), `m` the entity. */
export interface WsEvent {
  k: string;
  m: Record<string, unknown>;
}
