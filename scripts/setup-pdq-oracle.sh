#!/usr/bin/env bash
# Creates .cache/venv-pdq with the reference PDQ binding (pdqhash, the C++ HMA uses) + numpy + Pillow from PyPI, for
# the hashing tests and `npm run bench:hash` only (never product code). Idempotent: does nothing when the venv
# already imports all three; safe to run from several test processes at once (flock).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/venv-pdq"
py="$venv/bin/python"
check='import pdqhash, numpy, PIL'

mkdir -p "$root/.cache"
exec 9>"$root/.cache/venv-pdq.lock"
flock 9

if [ -x "$py" ] && "$py" -c "$check" >/dev/null 2>&1; then
  echo "pdq oracle ready: $py"
  exit 0
fi

python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { echo "setup-pdq-oracle: $python not found" >&2; exit 1; }

# A half-built venv from an interrupted run is rebuilt from scratch.
rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$py" -m pip install --disable-pip-version-check --quiet)
# Pinned: the decoder-parity test compares with Pillow's exact pixels. pdqhash ships only an sdist (Cython + the
# C++ reference), so it is built here, against the numpy above (needs a C++ compiler).
"${pip[@]}" 'numpy==2.4.6' 'pillow==13.0.0' 'Cython==3.1.8' setuptools wheel
"${pip[@]}" --no-build-isolation 'pdqhash==0.2.8'
"$py" -c "$check"
echo "pdq oracle ready: $py"
