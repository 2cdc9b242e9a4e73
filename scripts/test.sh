#!/usr/bin/env bash
# The project's test command (README "Tests"; CI runs exactly this through .ci/run).
# Installs everything the tests need from the lock file, then lints, type-checks and
# runs the whole suite. Any failure, including "no tests collected", fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

export UV_PYTHON_DOWNLOADS=never
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
else
  python3 -m pip install --quiet --disable-pip-version-check uv
  UV=(python3 -m uv)
fi

# The end-to-end tests load into Postgres on 127.0.0.1:5432; start the local cluster if
# it is installed but down (without it they skip, or fail under CI=true).
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  for cluster in /etc/postgresql/*/main; do
    [ -d "$cluster" ] || continue
    version="$(basename "$(dirname "$cluster")")"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi

"${UV[@]}" sync --locked --all-groups
"${UV[@]}" run --no-sync ruff check .
"${UV[@]}" run --no-sync ruff format --check .
"${UV[@]}" run --no-sync mypy

# The package supports Python 3.10 and up: where this machine has a 3.10 (pyenv's, which
# uv cannot find through pyenv's shims), the offline suite runs on it too, in a throwaway
# environment built from the same lock file. The whole suite then runs on the default.
oldest="$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python3.10 2>/dev/null | head -n 1 || true)"
if [ -n "$oldest" ]; then
  echo "==> the offline suite on the oldest supported Python ($oldest)"
  "${UV[@]}" run --isolated --locked --no-progress --python "$oldest" --group dev \
    pytest -q -p no:cacheprovider -W ignore::UserWarning --ignore=tests/e2e --ignore=tests/reliability
else
  echo "==> no Python 3.10 on this machine: the suite runs on the default Python only"
fi

echo "==> the whole suite"
"${UV[@]}" run --no-sync pytest "$@"
