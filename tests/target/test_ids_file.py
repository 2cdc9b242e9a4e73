"""The hand-off file: whole lines from concurrent writers, readable by the tap."""

from __future__ import annotations

import multiprocessing
import re
import typing as t

from tap_enrow_phone import settings as tap_settings
from target_enrow_phone.ids_file import append_batch_id

if t.TYPE_CHECKING:
    from pathlib import Path

LINE = re.compile(
    r"^(w\d-\d+)  # \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 stream=s searches=3 attempt=a\d+$"
)


def _writer(path: Path, worker: int, count: int) -> None:
    for n in range(count):
        append_batch_id(path, f"w{worker}-{n}", stream="s", searches=3, attempt=f"a{n}")


def test_concurrent_writers_leave_every_line_whole(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "batch_ids.txt"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(path, w, 40)) for w in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0

    lines = path.read_text().splitlines()
    assert len(lines) == 240
    assert all(LINE.match(line) for line in lines), [x for x in lines if not LINE.match(x)][:3]
    ids = tap_settings.resolve_ids({"batch_ids_file": str(path)}, tap_settings.BATCH_IDS)
    assert sorted(ids) == sorted(f"w{w}-{n}" for w in range(6) for n in range(40))


def test_a_file_left_without_a_final_newline_still_gets_a_line_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "batch_ids.txt"
    path.write_text("typed-by-hand")
    append_batch_id(path, "bulk-1", stream="leads", searches=1, attempt="a1")
    lines = path.read_text().splitlines()
    assert lines[0] == "typed-by-hand"
    assert lines[1].startswith("bulk-1  # ")


def test_a_stream_name_cannot_break_the_line(tmp_path: Path) -> None:
    path = tmp_path / "batch_ids.txt"
    append_batch_id(path, "bulk-1", stream="odd#name\nx", searches=1, attempt="a1")
    assert path.read_text().count("\n") == 1
    assert tap_settings.resolve_ids({"batch_ids_file": str(path)}, tap_settings.BATCH_IDS) == [
        "bulk-1"
    ]
