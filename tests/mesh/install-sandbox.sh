#!/usr/bin/env bash
# Installs NHS Digital's MESH sandbox (PyPI `mesh-sandbox`, pinned) into a Python venv, for the
# MESH connector tests. Idempotent: does nothing when the pinned version is already there.
# Usage: tests/mesh/install-sandbox.sh [VENV_DIR]   (default: <repo>/target/mesh-venv)
set -euo pipefail
VERSION="1.0.137"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${1:-$ROOT/target/mesh-venv}"
PY="$VENV/bin/python"
# One installer at a time (several test binaries may call this at once).
mkdir -p "$(dirname "$VENV")"
if command -v flock >/dev/null; then
    exec 9>"$VENV.lock"
    flock 9
fi
if [ -x "$PY" ] && "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('mesh-sandbox') != '$VERSION')" 2>/dev/null; then
    exit 0
fi
command -v python3 >/dev/null || { echo "install-sandbox: python3 not found (needs Python >= 3.11)" >&2; exit 1; }
python3 -m venv "$VENV"
"$PY" -m pip install --quiet --disable-pip-version-check "mesh-sandbox==$VERSION"
"$PY" -c "import mesh_sandbox.api, uvicorn" 
