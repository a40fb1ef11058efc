#!/usr/bin/env bash
# `make demo`: a master in ./demo on SQLite, started in the background, with its
# REST API on 127.0.0.1:8010. Safe to run again: an existing demo is reused and
# restarted.
set -euo pipefail
venv="${1:-.venv}"
marid="$venv/bin/marid"
if [ ! -f demo/master.cfg ]; then
    "$marid" create-master demo
else
    "$marid" upgrade-master demo
fi
if [ -f demo/marid.pid ] && kill -0 "$(cat demo/marid.pid)" 2>/dev/null; then
    "$marid" restart demo
else
    "$marid" start demo
fi
echo
echo "Marid is running in ./demo (log: demo/marid.log)."
echo "  REST API: http://127.0.0.1:8010/api/v2/masters"
echo "  Stop it:  $marid stop demo"
