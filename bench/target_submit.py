"""How fast does target-enrow-phone take leads in, and what does a repeated full sync cost?

Run: `uv run python bench/target_submit.py [--leads 30000]`. Feeds the real
`target-enrow-phone` subprocess `--leads` lead records against the fake API (batches of
3,000, `max_searches_per_run` raised to fit), then the same records again, as a full-table
upstream sync would. Prints for each run the wall time, leads per second, POSTs sent and the
target's peak memory (max RSS); the second run must send nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fake_enrow import DEMO_API_KEY, FakeEnrowServer

TARGET = str(Path(sys.executable).with_name("target-enrow-phone"))


def lead_lines(count: int) -> bytes:
    """Singer messages for `count` leads: two thirds by LinkedIn URL, a third by names."""
    schema = {"properties": {"custom": {"type": "string"}}}
    lines = [{"type": "SCHEMA", "stream": "leads", "schema": schema, "key_properties": ["custom"]}]
    for n in range(count):
        record: dict[str, str] = {"custom": f"lead-{n}"}
        if n % 3:
            record["linkedin_url"] = f"https://www.linkedin.com/in/bench-{n}"
        else:
            record |= {
                "firstname": f"First{n}",
                "lastname": "Last",
                "company_domain": "bench.example",
            }
        lines.append({"type": "RECORD", "stream": "leads", "record": record})
    lines.append({"type": "STATE", "value": {"done": count}})
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def timed_run(config_path: Path, data: bytes) -> tuple[float, int]:
    """Wall seconds of one target run and its peak RSS in MiB (children's max so far)."""
    started = time.perf_counter()
    done = subprocess.run(
        [TARGET, "--config", str(config_path)],
        input=data,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(done.stderr.decode()[-2000:])
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024


def main() -> None:
    """Two runs over the same leads; print one line of figures for each."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=30000)
    args = parser.parse_args()
    data = lead_lines(args.leads)
    with tempfile.TemporaryDirectory() as tmp, FakeEnrowServer() as fake:
        fake.catalog.account["credits"] = 40 * args.leads
        config = {
            "api_key": DEMO_API_KEY,
            "api_url": fake.url,
            "batch_ids_file": f"{tmp}/batch_ids.txt",
            "ledger_path": f"{tmp}/ledger.sqlite3",
            "max_searches_per_run": args.leads,
        }
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(config))
        print(
            f"{args.leads} leads, batches of 3000, target-enrow-phone subprocess against the fake"
        )
        for label in ("first run (all new)", "second run (all known)"):
            posts_before = len(fake.submissions.batch_ids())
            elapsed, rss = timed_run(config_path, data)
            posts = len(fake.submissions.batch_ids()) - posts_before
            print(
                f"{label:24} {elapsed:6.1f} s  {args.leads / elapsed:8.0f} leads/s  "
                f"{posts:3d} POSTs  peak RSS {rss} MiB"
            )
        if len(fake.submissions.searches()) != args.leads:
            sys.exit("some lead was submitted twice, or never")


if __name__ == "__main__":
    main()
