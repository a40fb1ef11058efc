#!/usr/bin/env bash
# Create the project's virtualenv at $1 (default .venv), installing Debian's
# python3-venv first when this Python cannot make one.
set -euo pipefail
venv="${1:-.venv}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "bootstrap-venv: Marid needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        echo "bootstrap-venv: installing python3-venv" >&2
        rm -rf "$venv"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$python" -m venv "$venv"
    fi
fi
"$venv/bin/python" -m pip install -q --upgrade pip setuptools wheel
