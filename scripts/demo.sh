#!/usr/bin/env bash
# `make demo`: a master in ./demo on SQLite with two marid-worker processes,
# a builder that clones a local Git repository, tests and packages it, and one
# forced build. Safe to run again: the demo is reused and restarted.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv}"
marid="$venv/bin/marid"
worker="$venv/bin/marid-worker"
here="$(pwd)"

command -v git >/dev/null || {
    echo "demo: installing git" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null
}

if [ ! -f demo/master.cfg ]; then
    "$marid" create-master demo >/dev/null
fi
cp contrib/demo/master.cfg demo/master.cfg
"$marid" upgrade-master demo >/dev/null

# The sample project, as a Git repository with a `main` branch.
if [ ! -d demo/repo/.git ]; then
    rm -rf demo/repo
    cp -r contrib/demo/project demo/repo
    git -C demo/repo init -q -b main
    git -C demo/repo -c user.name=Demo -c user.email=demo@example.invalid add -A
    git -C demo/repo -c user.name=Demo -c user.email=demo@example.invalid commit -q -m "Sample project"
fi

if [ -f demo/marid.pid ] && kill -0 "$(cat demo/marid.pid)" 2>/dev/null; then
    "$marid" restart demo
else
    "$marid" start demo
fi

for n in 1 2; do
    dir="demo/workers/demo-worker-$n"
    if [ ! -f "$dir/marid-worker.json" ]; then
        "$worker" create-worker -q "$dir" 127.0.0.1:9989 "demo-worker-$n" "demo-password-$n" >/dev/null
    fi
    if [ -f "$dir/marid-worker.pid" ] && kill -0 "$(cat "$dir/marid-worker.pid")" 2>/dev/null; then
        echo "demo-worker-$n is already running"
    else
        "$worker" start "$dir"
    fi
done

"$marid" force --wait --reason "make demo" demo demo-project

echo
echo "Marid is running in ./demo with two workers."
echo "  Web UI:    http://127.0.0.1:8010/"
echo "  The build: http://127.0.0.1:8010/#/builders/demo-project/builds/$(
    "$venv/bin/python" - <<'PY'
import json, urllib.request
with urllib.request.urlopen("http://127.0.0.1:8010/api/v2/builders/demo-project/builds?order=-number&limit=1") as r:
    print(json.load(r)["builds"][0]["number"])
PY
)"
echo "  REST API:  http://127.0.0.1:8010/api/v2/builds"
echo "  Artifacts: $here/demo/artifacts/"
echo "  Logs:      demo/marid.log, demo/workers/*/marid-worker.log"
echo "  Stop it:   make demo-stop"
