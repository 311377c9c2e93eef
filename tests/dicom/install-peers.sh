#!/usr/bin/env bash
# Installs the real DICOM peers the DICOM connector tests use: dcmtk (echoscu, storescu,
# storescp) from Debian, and pynetdicom + pydicom (pinned) in a Python venv.
# Idempotent. Usage: tests/dicom/install-peers.sh [VENV_DIR]   (default: <repo>/target/dicom-venv)
set -euo pipefail
PYNETDICOM="3.0.4"
PYDICOM="3.0.1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${1:-$ROOT/target/dicom-venv}"
PY="$VENV/bin/python"
mkdir -p "$(dirname "$VENV")"
# One installer at a time (several test binaries may call this at once).
if command -v flock >/dev/null; then
    exec 9>"$VENV.lock"
    flock 9
fi
if ! command -v storescu >/dev/null || ! command -v storescp >/dev/null || ! command -v echoscu >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq dcmtk >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk >/dev/null
    fi
fi
command -v storescu >/dev/null || { echo "install-peers: dcmtk not installed" >&2; exit 1; }
if [ -x "$PY" ] && "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('pynetdicom') != '$PYNETDICOM' or m.version('pydicom') != '$PYDICOM')" 2>/dev/null; then
    exit 0
fi
command -v python3 >/dev/null || { echo "install-peers: python3 not found" >&2; exit 1; }
python3 -m venv "$VENV"
"$PY" -m pip install --quiet --disable-pip-version-check "pydicom==$PYDICOM" "pynetdicom==$PYNETDICOM"
"$PY" -c "import pydicom, pynetdicom; from pydicom.data import get_testdata_file; assert get_testdata_file('CT_small.dcm')"
