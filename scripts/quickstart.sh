#!/usr/bin/env bash
# Quick start (README "Quick start"): from a fresh clone with only Python 3 and PyPI,
# install uv, the tap and the Meltano plugins, start the fake Enrow API, run
# `meltano run tap-enrow-phone target-duckdb` into output/quickstart.duckdb and print
# what landed; then build the dbt models on it (`meltano run dbt-duckdb:build`), print the
# batch-quality model and chart it into output/batch_quality.png; then the loop (README
# "Close the loop"): demo/leads.csv submitted by target-enrow-phone, the results read back
# into the same file's `loop` schema. The fake is stopped on the way out, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

say() { printf '\n==> %s\n' "$*"; }

say "Installing uv, the tap and Meltano (from uv.lock)"
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
  UV=(python3 -m uv)
else
  # A user install; Debian-style system Pythons refuse it without the second flag.
  python3 -m pip install --quiet --user uv 2>/dev/null ||
    python3 -m pip install --quiet --user --break-system-packages uv
  UV=(python3 -m uv)
fi
# The charts group: DuckDB and matplotlib for the chart at the end.
"${UV[@]}" sync --locked --quiet --group charts
MELTANO=(.venv/bin/meltano)

say "Installing the Meltano plugins tap-enrow-phone, target-duckdb, dbt-duckdb, tap-spreadsheets and target-enrow-phone (into .meltano/)"
plugins=(tap-enrow-phone target-duckdb dbt-duckdb tap-spreadsheets target-enrow-phone)
"${MELTANO[@]}" install "${plugins[@]}" >/dev/null 2>&1 ||
  "${MELTANO[@]}" install "${plugins[@]}"

say "Starting the fake Enrow API"
mkdir -p output
fake_log=output/quickstart-fake.log
: >"$fake_log" # exists before the fake starts, so reading it cannot race the start
.venv/bin/python -m fake_enrow --port 0 >"$fake_log" 2>&1 &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true' EXIT
api_url=""
for _ in $(seq 50); do
  api_url="$(sed -n 's/^fake Enrow API on \(http[^ ]*\).*/\1/p' "$fake_log")"
  [ -n "$api_url" ] && break
  sleep 0.1
done
if [ -z "$api_url" ]; then
  echo "The fake Enrow API did not start; its log:" >&2
  cat "$fake_log" >&2
  exit 1
fi
echo "listening on $api_url"

say "meltano run tap-enrow-phone target-duckdb"
database=output/quickstart.duckdb
rm -f "$database" "$database.wal"
run_log=output/quickstart-meltano.log
# The demo batches and single searches; an array setting comes from the environment as a
# JSON array. The
# state suffix and --full-refresh keep the demo apart from your own runs' state.
if ! TAP_ENROW_PHONE_API_KEY=demo-key \
  TAP_ENROW_PHONE_API_URL="$api_url" \
  TAP_ENROW_PHONE_BATCH_IDS='["b-demo-linkedin-completed", "b-demo-names-legacy", "b-demo-ongoing-then-completed", "b-demo-failed"]' \
  TAP_ENROW_PHONE_SINGLE_SEARCH_IDS='["s-demo-found", "s-demo-not-found", "s-demo-ongoing-then-found"]' \
  TARGET_DUCKDB_FILEPATH="$PWD/$database" \
  "${MELTANO[@]}" run --full-refresh --state-id-suffix=quickstart \
  tap-enrow-phone target-duckdb >"$run_log" 2>&1; then
  echo "The Meltano run failed; the end of its log ($run_log):" >&2
  tail -n 40 "$run_log" >&2
  exit 1
fi
echo "done; Meltano's log is in $run_log"

say "What landed in $database"
.meltano/loaders/target-duckdb/venv/bin/python scripts/show_duckdb.py "$database" --schema enrow

say "meltano run dbt-duckdb:build (the models in transform/, built and tested)"
dbt_log=output/quickstart-dbt.log
if ! TARGET_DUCKDB_FILEPATH="$PWD/$database" "${MELTANO[@]}" run dbt-duckdb:build >"$dbt_log" 2>&1; then
  echo "dbt failed; the end of its log ($dbt_log):" >&2
  tail -n 40 "$dbt_log" >&2
  exit 1
fi
grep -o 'Done\. PASS=.*' "$dbt_log" | tail -n 1 || true

say "The batch-quality model (enrow_analytics.enrow_batch_quality)"
.venv/bin/python scripts/batch_quality_chart.py "$database" --out output/batch_quality.png

say "The loop: meltano run tap-spreadsheets target-enrow-phone, then tap-enrow-phone target-duckdb"
# demo/leads.csv becomes bulk searches on the fake; their ids go to a file of the demo's own
# (the project's enrow/batch_ids.txt stays yours), which the tap then reads.
ids_file="$PWD/output/quickstart-batch-ids.txt"
ledger="$PWD/output/quickstart-ledger.sqlite3"
rm -f "$ids_file" "$ledger"*
loop_log=output/quickstart-loop.log
if ! TAP_ENROW_PHONE_API_KEY=demo-key \
  TARGET_ENROW_PHONE_API_URL="$api_url" \
  TARGET_ENROW_PHONE_BATCH_IDS_FILE="$ids_file" \
  TARGET_ENROW_PHONE_LEDGER_PATH="$ledger" \
  "${MELTANO[@]}" run --full-refresh --state-id-suffix=quickstart \
  tap-spreadsheets target-enrow-phone >"$loop_log" 2>&1 ||
  ! TAP_ENROW_PHONE_API_KEY=demo-key \
    TAP_ENROW_PHONE_API_URL="$api_url" \
    TAP_ENROW_PHONE_BATCH_IDS="[]" \
    TAP_ENROW_PHONE_BATCH_IDS_FILE="$ids_file" \
    TAP_ENROW_PHONE_WAIT_FOR_RUNNING_BATCHES=true \
    TAP_ENROW_PHONE_POLL_INTERVAL=1 \
    TARGET_DUCKDB_FILEPATH="$PWD/$database" \
    TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA=loop \
    "${MELTANO[@]}" run --full-refresh --state-id-suffix=quickstart-loop \
    tap-enrow-phone target-duckdb >>"$loop_log" 2>&1; then
  echo "The loop failed; the end of its log ($loop_log):" >&2
  tail -n 40 "$loop_log" >&2
  exit 1
fi
sed -n 's/.*target-enrow-phone \(Run [^ ]*: submitted .*\)/\1/p' "$loop_log"
echo "batch ids handed to the tap ($ids_file):"
sed 's/  #.*//' "$ids_file"
.meltano/loaders/target-duckdb/venv/bin/python scripts/show_duckdb.py "$database" --schema loop

say "Quick start finished in $((SECONDS - started)) s"
echo "Run all the tests with ./scripts/test.sh; README 'With your own key' shows real runs."
