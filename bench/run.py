"""Benchmark tap-enrow-phone against the SDK template tap and a bare loop; print a table.

Run from the repository root:  .venv/bin/python bench/run.py  (about 5 minutes)

Each case starts the fake Enrow API in its own process (`python -m fake_enrow`, with
the case's latency) so it never shares a GIL with the program measured. Each program
runs as a fresh subprocess whose stdout is drained through a pipe and counted; its wall
time and peak RSS come from `os.wait4`, so figures never mix across runs.

Python bytecode is cached as after `pip install` (this machine sets
PYTHONDONTWRITEBYTECODE, which would make every run compile its imports again): each
program first runs once on a single batch, untimed, then again to time its startup.

Programs: tap-enrow-phone; (a) bench/baseline_template_tap.py, the SDK template tap;
(b) bench/baseline_loop.py, requests + msgspec without a framework.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TAP = str(Path(PYTHON).with_name("tap-enrow-phone"))
MAX_CONCURRENCY = 8
API_KEY = "demo-key"
# Let the warm-up runs cache bytecode, as an installed package has it.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

PROGRAMS = {
    "tap-enrow-phone": [TAP],
    "(a) SDK template": [PYTHON, str(REPO / "bench" / "baseline_template_tap.py")],
    "(b) requests+msgspec": [PYTHON, str(REPO / "bench" / "baseline_loop.py")],
}


@dataclass(frozen=True)
class Case:
    name: str
    batches: int
    results: int
    latency_ms: float

    @property
    def records(self) -> int:
        return self.batches * (self.results + 2)

    @property
    def ideal_seconds(self) -> float:
        """Wall time if requests were the only cost and always `MAX_CONCURRENCY` ran."""
        return self.batches * self.latency_ms / 1000 / MAX_CONCURRENCY


CASES = {
    "cpu": Case("CPU-bound", 100, 3000, 0),
    "latency": Case("latency-bound", 500, 10, 50),
    "memory-2000": Case("memory", 2000, 1000, 0),
    "memory-200": Case("memory", 200, 1000, 0),
}


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float
    lines: int
    returncode: int
    # Wall time of a one-batch run on the same fake, less one request's latency.
    startup_seconds: float = 0.0


class FakeApi:
    """`python -m fake_enrow` on a free port, in its own process."""

    def __init__(self, latency_ms: float) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "-m", "fake_enrow", "--port", "0", "--latency-ms", str(latency_ms)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        first = (
            self.process.stdout.readline() if self.process.stdout else ""
        )  # "fake Enrow API on http://...:port (...)"
        self.url = first.split(" on ", 1)[1].split()[0]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


def run_program(command: list[str], config_path: Path) -> Run:
    """Run one program to the end, draining and counting its output lines."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
        env=ENV,
    )
    lines = 0
    fd = process.stdout.fileno() if process.stdout else -1
    while chunk := os.read(fd, 1 << 20):
        lines += chunk.count(b"\n")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss / 1024, lines, process.returncode)


def measure(case: Case, programs: list[str], repeat: int) -> dict[str, Run]:
    """The best of `repeat` runs of each program (least disturbed by other load)."""
    fake = FakeApi(case.latency_ms)
    runs: dict[str, Run] = {}
    ids = [f"gen-b{i:05d}-{case.results}" for i in range(case.batches)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config_path = Path(tmp) / "config.json"
            warm_up_path = Path(tmp) / "warm-up.json"
            config = {
                "api_key": API_KEY,
                "api_url": fake.url,
                "batch_ids": ids,
                "max_concurrency": MAX_CONCURRENCY,
            }
            config_path.write_text(json.dumps(config))
            warm_up_path.write_text(json.dumps({**config, "batch_ids": ids[:1]}))
            for program in programs:
                command = PROGRAMS[program]
                run_program(command, warm_up_path)
                startup = run_program(command, warm_up_path).seconds - case.latency_ms / 1000
                attempts = [run_program(command, config_path) for _ in range(repeat)]
                for attempt in attempts:
                    if attempt.returncode != 0 or attempt.lines < case.records:
                        msg = f"{program} failed on {case}: {attempt}"
                        raise SystemExit(msg)
                best = min(attempts, key=lambda r: r.seconds)
                runs[program] = dataclasses.replace(best, startup_seconds=startup)
    finally:
        fake.close()
    return runs


def machine() -> list[str]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores",
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}",
        f"singer-sdk {metadata.version('singer-sdk')}, msgspec {metadata.version('msgspec')}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--programs", nargs="+", choices=list(PROGRAMS), default=list(PROGRAMS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; best is kept")
    args = parser.parse_args()

    print("\n".join(machine()))
    results: dict[str, dict[str, Run]] = {}
    for key in args.cases:
        print(f"running {key} ...", file=sys.stderr, flush=True)
        results[key] = measure(CASES[key], args.programs, args.repeat)
    print(render(results, args.programs))
    return 0


def render(results: dict[str, dict[str, Run]], programs: list[str]) -> str:
    rows: list[list[str]] = [["case", "figure", *programs]]
    tap = "tap-enrow-phone"
    for key, runs in results.items():
        case = CASES[key]
        label = f"{case.name}: {case.batches} x {case.results:,}, {case.latency_ms:g} ms"
        if key == "cpu":
            rates = {p: case.records / r.seconds for p, r in runs.items()}
            rows.append([label, "records/s", *(f"{rates[p]:,.0f}" for p in programs)])
            if tap in rates:
                rows.append(
                    ["", "tap vs program", *(f"{rates[tap] / rates[p]:.2f}x" for p in programs)]
                )
        elif key == "latency":
            rows.append([label, "wall s", *(f"{runs[p].seconds:.2f}" for p in programs)])
            rows.append(
                [
                    "",
                    f"vs ideal {case.ideal_seconds:.3g} s",
                    *(f"{runs[p].seconds / case.ideal_seconds:.2f}x" for p in programs),
                ]
            )
            rows.append(["", "startup s", *(f"{runs[p].startup_seconds:.2f}" for p in programs)])
            rows.append(
                [
                    "",
                    "(wall - startup) vs ideal",
                    *(
                        f"{(runs[p].seconds - runs[p].startup_seconds) / case.ideal_seconds:.2f}x"
                        for p in programs
                    ),
                ]
            )
        else:
            rows.append([label, "peak RSS MB", *(f"{runs[p].peak_rss_mb:.0f}" for p in programs)])
            rows.append(["", "wall s", *(f"{runs[p].seconds:.1f}" for p in programs)])
    return markdown_table(rows)


def markdown_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
