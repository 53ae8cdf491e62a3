#!/usr/bin/env bash
# Idempotent: installs a pinned Synapse from PyPI into .cache/venv-synapse for the
# `synapse` vitest project (test/synapse/harness.ts). Safe to run repeatedly; CI runs it
# before `npm test`.
set -euo pipefail

SYNAPSE_VERSION="${SYNAPSE_VERSION:-1.163.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SYNAPSE_VENV:-$ROOT/.cache/venv-synapse}"
PY="${PYTHON:-python3}"

installed_version() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("matrix-synapse"))' 2>/dev/null
}

current="$(installed_version || true)"
if [ "$current" = "$SYNAPSE_VERSION" ]; then
  echo "matrix-synapse $current already installed in $VENV"
  exit 0
fi

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "setup-synapse: $PY is $("$PY" --version 2>&1); Synapse $SYNAPSE_VERSION needs Python >= 3.10" >&2
  exit 1
fi

mkdir -p "$(dirname "$VENV")"
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating venv $VENV"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip wheel
echo "Installing matrix-synapse==$SYNAPSE_VERSION"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "matrix-synapse==$SYNAPSE_VERSION"

echo "matrix-synapse $(installed_version) installed in $VENV"
