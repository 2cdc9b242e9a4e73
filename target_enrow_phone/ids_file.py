"""Hand a created batch id to the tap: one line appended to `batch_ids_file`, durably.

The file is shared with the tap (which reads it) and possibly with other targets
(which append to it): an exclusive `fcntl` lock keeps two writers' lines whole, and
flush + fsync put the line on disk before the records it covers are acknowledged.
"""

from __future__ import annotations

import fcntl
import os
import typing as t
from datetime import datetime, timezone

if t.TYPE_CHECKING:
    from pathlib import Path


def append_batch_id(path: Path, batch_id: str, *, stream: str, searches: int, attempt: str) -> None:
    """Append `<batch id>  # <when> stream=<s> searches=<n> attempt=<a>` and fsync it.

    The attempt lets a run that died right after this write be settled by the next.
    """
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    # The tap ignores what follows '#': the comment is for people.
    safe_stream = stream.replace("#", "_").replace("\n", " ")
    line = f"{batch_id}  # {when} stream={safe_stream} searches={searches} attempt={attempt}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            # Another writer may have left the file without a final newline.
            if os.fstat(handle.fileno()).st_size > 0 and not _ends_with_newline(path):
                handle.write("\n")
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    _fsync_directory(path)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _fsync_directory(path: Path) -> None:
    """A new file's directory entry must reach the disk too."""
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
