#!/usr/bin/env bash
# Canary: the offline suite against the newest singer-sdk release, whatever the pin says.
#
# The tap overrides a few private SDK members (tests/test_sdk_private_surface.py lists
# them); the `~=` pin in pyproject.toml keeps users on a release where they hold. This
# runs the same tests in a throwaway environment where only singer-sdk is lifted to its
# newest release, so a release that breaks an override is seen here before a user sees
# it. CI runs it daily (.github/workflows/canary.yml). Exit status: the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Overrides replace the project's singer-sdk requirement; any release at all may win.
printf 'singer-sdk[msgspec,testing]>=0.54.9\n' >"$work/overrides.txt"

uv venv --quiet "$work/venv" ${CANARY_PYTHON:+--python "$CANARY_PYTHON"}
VIRTUAL_ENV="$work/venv" uv pip install --quiet --upgrade --override "$work/overrides.txt" \
  -e . --group dev

sdk="$("$work/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("singer-sdk"))')"
pinned="$(uv run --no-sync python -c 'import importlib.metadata as m; print(m.version("singer-sdk"))' 2>/dev/null || echo '?')"
echo "==> canary: the offline suite on singer-sdk $sdk (the lock pins $pinned)"
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore::UserWarning \
  --ignore=tests/e2e --ignore=tests/reliability "$@"
