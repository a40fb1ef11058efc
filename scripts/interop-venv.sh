#!/usr/bin/env bash
# Create (once) the virtualenv that holds the real Buildbot peers used by the
# interop tests: buildbot (master) and buildbot-worker, from PyPI. Prints the
# venv's path. Safe to run again: an up-to-date venv is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${MARID_INTEROP_VENV:-.venv-interop}"
want="buildbot==4.3.0 buildbot-www==4.3.0 buildbot-worker==4.3.0"
stamp="$venv/.marid-interop"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$venv"
    exit 0
fi
bash scripts/bootstrap-venv.sh "$venv" >&2
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install -q $want >&2
echo "$want" > "$stamp"
echo "$venv"
