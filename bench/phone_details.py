"""What phone_details costs: a real tap subprocess syncing generated batches, off vs on.

Run: `uv run python bench/phone_details.py [--batches 10] [--size 3000]`. Prints the wall time,
records per second and peak memory of each run, and the import time of `phonenumbers` (paid
only when the setting is on).
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

TAP = str(Path(sys.executable).with_name("tap-enrow-phone"))


def run(config: dict[str, object], workdir: Path) -> tuple[float, int, int]:
    """Wall seconds, phone_results records and peak RSS (KiB) of one sync."""
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    started = time.perf_counter()
    completed = subprocess.run(
        [TAP, "--config", str(config_path)], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    records = sum(
        1
        for line in completed.stdout.splitlines()
        if line.startswith('{"type":"RECORD","stream":"phone_results"')
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, records, peak


def import_time_ms() -> float:
    """Cumulative import time of phonenumbers, from `python -X importtime`."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import phonenumbers"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in completed.stderr.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) == 3 and fields[2] == "phonenumbers":
            return int(fields[1]) / 1000
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--size", type=int, default=3000)
    args = parser.parse_args()
    ids = [f"gen-bench{i:03d}-{args.size}" for i in range(args.batches)]
    with FakeEnrowServer() as server, tempfile.TemporaryDirectory() as tmp:
        base = {"api_key": DEMO_API_KEY, "api_url": server.url, "batch_ids": ids}
        print(f"{args.batches} batches x {args.size} results, tap as a subprocess")
        # RUSAGE_CHILDREN's peak is the largest child so far, so the lighter run goes first.
        for label, extra in (
            ("phone_details off", {}),
            ("phone_details on ", {"phone_details": True}),
        ):
            elapsed, records, peak = run({**base, **extra}, Path(tmp))
            print(
                f"{label}: {elapsed:6.2f} s, {records} phone_results, "
                f"{records / elapsed:8.0f} records/s, peak RSS {peak / 1024:.0f} MiB"
            )
    print(f"import phonenumbers (cumulative, only with the setting on): {import_time_ms():.1f} ms")


if __name__ == "__main__":
    main()
