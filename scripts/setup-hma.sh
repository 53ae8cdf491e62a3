#!/usr/bin/env bash
# Creates .cache/venv-hma: the dependencies of a real HMA 1.1.7 (Open Media Match) and gunicorn, installed from the
# team's vendored source (../shared/vendor/hma-1.1.7, or $HMA_SOURCE) with threatexchange and the rest from PyPI,
# pinned by scripts/hma-constraints.txt. Test infrastructure only: the HMA tests (test/hma-real) start it on
# 127.0.0.1 with a throwaway PostgreSQL. HMA's own code is not copied: it is imported from the source's src/ folder
# (PYTHONPATH), as HMA's Dockerfile does.
#
# Idempotent (does nothing when the venv already imports what HMA needs) and safe to run from several processes at
# once (flock). Without the vendored source (a user's own clone) it says so and exits 0: the real-HMA tests then skip
# and print why.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${HMA_SOURCE:-$root/../shared/vendor/hma-1.1.7}"
venv="$root/.cache/venv-hma"
py="$venv/bin/python"
check='import flask, flask_openapi3, flask_sqlalchemy, flask_migrate, flask_apscheduler, psycopg2, threatexchange, faiss, pdqhash, gunicorn'

if [ ! -f "$src/pyproject.toml" ] || [ ! -d "$src/src/OpenMediaMatch" ]; then
  echo "setup-hma: no HMA source at $src (the team folder ../shared is not beside this checkout): real-HMA tests will skip"
  exit 0
fi

mkdir -p "$root/.cache"
exec 9>"$root/.cache/venv-hma.lock"
flock 9

if [ -x "$py" ] && "$py" -c "$check" >/dev/null 2>&1; then
  echo "HMA venv ready: $py"
  exit 0
fi

python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { echo "setup-hma: $python not found" >&2; exit 1; }
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup-hma: $python is $("$python" --version 2>&1); HMA 1.1.7 needs Python >= 3.11" >&2
  exit 1
fi
command -v pg_config >/dev/null || { echo "setup-hma: pg_config not found: install libpq-dev (psycopg2 is built from source)" >&2; exit 1; }

# A half-built venv from an interrupted run is rebuilt from scratch.
rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$py" -m pip install --disable-pip-version-check --quiet)
"${pip[@]}" --upgrade pip setuptools wheel
# The source folder is read-only: pip builds it in a temporary copy. It declares no modules of its own, so this
# installs HMA's dependencies only; the code comes from $src/src at run time. (Its build prints setuptools
# deprecation warnings: shown only if the install fails.)
if ! out="$("${pip[@]}" --constraint "$root/scripts/hma-constraints.txt" "$src" gunicorn 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
"$py" -c "$check"
echo "HMA venv ready: $py"
