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

"${UV[@]}" sync --locked --all-groups
"${UV[@]}" run --no-sync ruff check .
"${UV[@]}" run --no-sync ruff format --check .
"${UV[@]}" run --no-sync mypy
"${UV[@]}" run --no-sync pytest "$@"
