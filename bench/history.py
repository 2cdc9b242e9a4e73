"""A run's cost against the batches already finished: scale, history, and a year of runs.

Run from the repository root:  uv run python bench/history.py  (about 10 minutes)

Every figure comes from the real `tap-enrow-phone` command in a subprocess, against the
fake Enrow API (in this process, on its own thread), with 1 result per batch so that
the state, not the records, is what grows. Ids look like Enrow's (38 characters, kept
as they are in the state). Wall time and peak RSS come from `os.wait4`; STATE bytes are
the bytes of the STATE lines on stdout.

1. Scale: 1,000, 4,000 and 20,000 fresh batches in one run.
2. History: 20,000 finished batches (in the state and in the ids file) plus 10 new,
   against a run configured with the 10 alone; the same for single searches.
3. A year: 52 weekly runs, each adding 100 new batch ids to the file and starting from
   the state the previous run left. Prints a table, and plots per-run cost to
   bench/year.png (`--plot`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.run import markdown_table
from fake_enrow import DEMO_API_KEY, FakeEnrowServer
from fake_enrow.data import SingleSearch, found

REPO = Path(__file__).resolve().parent.parent
TAP = str(Path(sys.executable).with_name("tap-enrow-phone"))
PLOT = REPO / "bench" / "year.png"
# Let runs cache bytecode, as an installed package has it.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
STATE_PREFIX = b'{"type":"STATE"'
Config = dict[str, object]


def batch_id(label: str, n: int) -> str:
    """An id the fake serves as a completed batch of 1 result, 38 characters long."""
    return f"gen-{hashlib.md5(f'{label}-{n}'.encode()).hexdigest()}-1"  # noqa: S324 - not security


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float
    requests: int
    states: int
    state_bytes: int
    final_state_bytes: int
    final_state: dict[str, object]


def run_tap(server: FakeEnrowServer, workdir: Path, config: Config, state: object = None) -> Run:
    """One real run of the tap to its end; what it cost and what it wrote."""
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps({"api_key": DEMO_API_KEY, "api_url": server.url, **config}))
    args = [TAP, "--config", str(config_path)]
    if state is not None:
        state_path = workdir / "state.json"
        state_path.write_text(json.dumps(state))
        args += ["--state", str(state_path)]
    server.reset()
    started = time.perf_counter()
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=ENV
    )
    if process.stdout is None:
        raise SystemExit("no stdout")
    states = state_bytes = 0
    last_state = b""
    for line in process.stdout:
        if line.startswith(STATE_PREFIX):
            states += 1
            state_bytes += len(line)
            last_state = line
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        msg = f"the tap failed: {config}"
        raise SystemExit(msg)
    return Run(
        seconds=seconds,
        peak_rss_mb=usage.ru_maxrss / 1024,
        requests=server.stats()["total_requests"] - server.stats()["account_requests"],
        states=states,
        state_bytes=state_bytes,
        final_state_bytes=len(last_state),
        final_state=json.loads(last_state)["value"],
    )


def check(ok: bool, run: Run) -> None:  # noqa: FBT001
    """Stop the benchmark when a run did not do what it measures."""
    if not ok:
        msg = f"unexpected run: {run.requests} requests, {run.seconds:.2f} s"
        raise SystemExit(msg)


def ids_file(workdir: Path, ids: list[str]) -> str:
    path = workdir / "batch_ids.txt"
    path.write_text("\n".join(ids) + "\n")
    return str(path)


def scale(server: FakeEnrowServer, workdir: Path, sizes: list[int]) -> list[list[str]]:
    one: Config = {"batch_ids": [batch_id("warm", 0)]}
    startup = min(run_tap(server, workdir, one).seconds for _ in range(4))
    rows = [
        [
            "fresh batches",
            "wall s",
            "wall - 1-batch run, per 1,000",
            "peak RSS MB",
            "STATE msgs",
            "STATE bytes",
            "final STATE",
            "bytes per batch",
            "all STATE / final",
        ]
    ]
    for size in sizes:
        ids = [batch_id("scale", n) for n in range(size)]
        run = run_tap(server, workdir, {"batch_ids_file": ids_file(workdir, ids)})
        check(run.requests == size, run)
        rows.append(
            [
                f"{size:,}",
                f"{run.seconds:.1f}",
                f"{(run.seconds - startup) / size * 1000:.2f} s",
                f"{run.peak_rss_mb:.0f}",
                str(run.states),
                f"{run.state_bytes:,}",
                f"{run.final_state_bytes:,}",
                f"{run.final_state_bytes / size:.1f}",
                f"{run.state_bytes / run.final_state_bytes:.2f}x",
            ]
        )
    rows.append(["(1-batch run)", f"{startup:.1f}", "", "", "", "", "", "", ""])
    return rows


def history(server: FakeEnrowServer, workdir: Path, finished: int) -> list[list[str]]:
    old = [batch_id("old", n) for n in range(finished)]
    new = [batch_id("new", n) for n in range(10)]
    old_singles = [f"s-old-{n:06d}" for n in range(finished)]
    new_singles = [f"s-new-{n:02d}" for n in range(10)]
    for search_id in new_singles:
        result = found(0, "+15705550100", "US", linkedin_url="https://www.linkedin.com/in/x")
        server.catalog.add_single(SingleSearch(search_id, result))
    rows = [["what", "configured", "requests", "wall s", "peak RSS MB", "vs the 10 alone"]]
    cases: dict[str, tuple[Config, Config, Config]] = {
        "batches": (
            {"batch_ids_file": ids_file(workdir, [*old, *new])},
            {"bookmarks": {"batches": {"finished": old}}},
            {"batch_ids": new},
        ),
        "single searches": (
            {"single_search_ids": [*old_singles, *new_singles]},
            {"bookmarks": {"single_phone_results": {"finished": old_singles}}},
            {"single_search_ids": new_singles},
        ),
    }
    for what, (config, state, alone) in cases.items():
        run_tap(server, workdir, alone)  # warm-up
        base = min((run_tap(server, workdir, alone) for _ in range(3)), key=lambda r: r.seconds)
        runs = [run_tap(server, workdir, config, state) for _ in range(3)]
        with_history = min(runs, key=lambda r: r.seconds)
        check(with_history.requests == base.requests == 10, with_history)
        rows.append([what, "10 alone", "10", f"{base.seconds:.2f}", f"{base.peak_rss_mb:.0f}", ""])
        rows.append(
            [
                what,
                f"{finished:,} finished + 10 new",
                str(with_history.requests),
                f"{with_history.seconds:.2f}",
                f"{with_history.peak_rss_mb:.0f}",
                f"{with_history.seconds / base.seconds:.2f}x",
            ]
        )
    return rows


def year(server: FakeEnrowServer, workdir: Path, weeks: int, per_week: int) -> list[Run]:
    ids: list[str] = []
    state: object = None
    runs = []
    for week in range(weeks):
        ids += [batch_id(f"week{week}", n) for n in range(per_week)]
        run = run_tap(server, workdir, {"batch_ids_file": ids_file(workdir, ids)}, state)
        check(run.requests == per_week, run)
        state = run.final_state
        runs.append(run)
        print(
            f"week {week + 1:2d}: {len(ids):5d} ids, {run.requests} requests, "
            f"{run.seconds:.2f} s, STATE {run.state_bytes:,} B",
            file=sys.stderr,
            flush=True,
        )
    return runs


def plot(runs: list[Run], path: Path) -> None:
    import matplotlib as mpl  # noqa: PLC0415 - only for --plot

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    weeks = list(range(1, len(runs) + 1))
    fig, (wall, state) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    wall.plot(weeks, [r.seconds for r in runs], marker=".")
    wall.set_ylabel("wall time per run (s)")
    wall.set_ylim(bottom=0)
    wall.set_title("A year of weekly runs, 100 new batch ids a week")
    state.plot(weeks, [r.state_bytes / 1024 for r in runs], marker=".", label="all STATE")
    state.plot(weeks, [r.final_state_bytes / 1024 for r in runs], marker=".", label="final STATE")
    state.set_ylabel("STATE per run (KiB)")
    state.set_xlabel("week (ids in the file: 100 x week; requests per run: 100)")
    state.set_ylim(bottom=0)
    state.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def year_rows(runs: list[Run], per_week: int) -> list[list[str]]:
    rows = [["week", "ids in file", "requests", "wall s", "STATE msgs", "STATE bytes", "RSS MB"]]
    for week, run in enumerate(runs, start=1):
        if week in {1, 2, 13, 26, 39, 52} or week == len(runs):
            rows.append(
                [
                    str(week),
                    f"{week * per_week:,}",
                    str(run.requests),
                    f"{run.seconds:.2f}",
                    str(run.states),
                    f"{run.state_bytes:,}",
                    f"{run.peak_rss_mb:.0f}",
                ]
            )
    seconds = sorted(r.seconds for r in runs)
    rows.append(
        [
            "all",
            "",
            "",
            f"median {seconds[len(seconds) // 2]:.2f}, max {seconds[-1]:.2f}",
            "",
            "",
            "",
        ]
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["scale", "history", "year"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1_000, 4_000, 20_000])
    parser.add_argument("--finished", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--per-week", type=int, default=100)
    parser.add_argument("--plot", action="store_true", help=f"write {PLOT.name}")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with FakeEnrowServer() as server, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "scale" in args.parts:
            print("\n## Scale: fresh batches in one run\n")
            print(markdown_table(scale(server, workdir, args.sizes)), flush=True)
        if "history" in args.parts:
            print("\n## History: finished ids in the state and in the configuration\n")
            print(markdown_table(history(server, workdir, args.finished)), flush=True)
        if "year" in args.parts:
            runs = year(server, workdir, args.weeks, args.per_week)
            print(f"\n## A year: {args.weeks} weekly runs, {args.per_week} new ids each\n")
            print(markdown_table(year_rows(runs, args.per_week)))
            if args.plot:
                plot(runs, PLOT)
                print(f"\nplot: {PLOT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
