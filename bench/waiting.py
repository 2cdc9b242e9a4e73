"""Does waiting for a running batch hold up the others? Times a real tap subprocess.

Run: `uv run python bench/waiting.py [--batches 20] [--max-wait 3]`. The first configured batch
never finishes; the others are completed. For wait_for_running_batches off and on, prints when
the last completed batch's record arrived and when the run ended (seconds from start).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fake_enrow import DEMO_API_KEY, Batch, FakeEnrowServer

TAP = str(Path(sys.executable).with_name("tap-enrow-phone"))
RUNNING = "b-bench-still-running"


def timed_run(config: dict[str, object], workdir: Path) -> tuple[float, float, list[str]]:
    """Seconds to the last completed batch's record, to the end, and the batch order."""
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    started = time.perf_counter()
    last_completed = 0.0
    order: list[str] = []
    with subprocess.Popen(
        [TAP, "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as tap:
        for line in tap.stdout or ():
            message = json.loads(line)
            if message["type"] == "RECORD" and message["stream"] == "batches":
                order.append(message["record"]["id"])
                if message["record"]["id"] != RUNNING:
                    last_completed = time.perf_counter() - started
    return last_completed, time.perf_counter() - started, order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--max-wait", type=float, default=3.0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    ids = [RUNNING] + [f"gen-wait{i:03d}-300" for i in range(args.batches)]
    with (
        FakeEnrowServer(latency=args.latency_ms / 1000) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        server.catalog.add(Batch(RUNNING, ["ongoing"]))
        base = {"api_key": DEMO_API_KEY, "api_url": server.url, "batch_ids": ids}
        print(
            f"1 batch that never finishes, then {args.batches} completed batches; "
            f"{args.latency_ms:g} ms per answer; max_wait {args.max_wait:g} s, poll_interval 0.5 s"
        )
        for label, extra in (
            ("waiting off", {}),
            (
                "waiting on ",
                {"wait_for_running_batches": True, "poll_interval": 0.5, "max_wait": args.max_wait},
            ),
        ):
            server.reset()
            last_completed, total, order = timed_run({**base, **extra}, Path(tmp))
            print(
                f"{label}: last completed batch out at {last_completed:5.2f} s, run over at "
                f"{total:5.2f} s, running batch emitted at position {order.index(RUNNING) + 1} "
                f"of {len(order)}, {server.stats()['requests'][RUNNING]} read(s) of it"
            )


if __name__ == "__main__":
    main()
