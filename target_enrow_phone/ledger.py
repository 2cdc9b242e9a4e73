"""The local memory of what was submitted, so no search is ever paid for twice.

One SQLite row per search key (a hash: no name or URL is stored), with its state:

- `pending`: written (and committed) just before the POST that carries it;
- `submitted`: the POST answered 201 and the batch id was handed to the tap;
- `uncertain`: the POST's outcome is unknown (timeout, reset, 5xx), or a run died
  between sending and recording the answer. Never sent again until a person clears it
  with `target-enrow-phone-ledger`.

A run holds an exclusive lock on `<ledger>.lock`, so two runs sharing a ledger cannot
both submit the same lead.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import typing as t
from datetime import datetime, timedelta, timezone

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

DEFAULT_LEDGER_PATH = ".target-enrow-phone/ledger.sqlite3"
PENDING, SUBMITTED, UNCERTAIN = "pending", "submitted", "uncertain"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    attempt TEXT NOT NULL,
    run TEXT NOT NULL,
    stream TEXT NOT NULL,
    custom TEXT,
    batch_id TEXT,
    sent_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_attempt ON searches (attempt);
"""


class LedgerError(Exception):
    """The ledger cannot be used; the message says why and what to do.

    Kept free of the SDK's imports so that the ledger command starts at once.
    """


class Ledger:
    """The SQLite ledger at `path`; `open()` takes the run lock and settles dead runs."""

    def __init__(self, path: Path) -> None:
        """Nothing is opened yet."""
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock_file: t.IO[str] | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        """The open connection."""
        if self._conn is None:
            self._conn = _connect(self.path)
        return self._conn

    def open_for_run(self, handed_off: Mapping[str, str]) -> int:
        """Lock the ledger for this run and settle what dead runs left pending.

        `handed_off` maps attempts to the batch ids found for them in batch_ids_file:
        those searches were submitted. Any other pending search becomes uncertain.
        Returns how many searches were made uncertain.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock").open("a", encoding="utf-8")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise LedgerError(
                f"Another target-enrow-phone run is using the ledger {str(self.path)!r}; "
                "wait for it to finish (two runs on one ledger could pay for a lead twice)."
            ) from None
        self._lock_file = lock
        for attempt, batch_id in handed_off.items():
            self.settle_pending(attempt, batch_id)
        # A pending row outside any running run means a run died mid-POST.
        with self.conn:
            cursor = self.conn.execute(
                "UPDATE searches SET state = ? WHERE state = ?", (UNCERTAIN, PENDING)
            )
        return cursor.rowcount

    def close(self) -> None:
        """Close the database and release the run lock."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def blocks(self, key: str, resubmit_after_days: int | None) -> str | None:
        """Why a search must not be sent (`submitted` or `uncertain`), or None."""
        row = self.conn.execute(
            "SELECT state, sent_at FROM searches WHERE key = ?", (key,)
        ).fetchone()
        known = None if row is None else (row[0], row[1])
        return blocking_state(known, resubmit_after_days, datetime.now(timezone.utc))

    def mark_pending(
        self, attempt: str, run: str, stream: str, searches: Iterable[tuple[str, str | None]]
    ) -> None:
        """Record (and commit) the searches one POST is about to carry."""
        now = _now()
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO searches "
                "(key, state, attempt, run, stream, custom, batch_id, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                [(key, PENDING, attempt, run, stream, custom, now) for key, custom in searches],
            )

    def settle(self, attempt: str, state: str, batch_id: str | None = None) -> None:
        """The POST's outcome for every search it carried."""
        with self.conn:
            self.conn.execute(
                "UPDATE searches SET state = ?, batch_id = ? WHERE attempt = ?",
                (state, batch_id, attempt),
            )

    def settle_pending(self, attempt: str, batch_id: str) -> None:
        """A dead run's POST whose batch id reached batch_ids_file: it was submitted."""
        with self.conn:
            self.conn.execute(
                "UPDATE searches SET state = ?, batch_id = ? WHERE attempt = ? AND state != ?",
                (SUBMITTED, batch_id, attempt, SUBMITTED),
            )

    def forget_attempt(self, attempt: str) -> None:
        """The POST was refused outright: nothing was created, the searches may go again."""
        with self.conn:
            self.conn.execute("DELETE FROM searches WHERE attempt = ?", (attempt,))

    def uncertain(self) -> list[dict[str, t.Any]]:
        """Uncertain searches grouped by the POST that carried them."""
        rows = self.conn.execute(
            "SELECT attempt, run, stream, MIN(sent_at), COUNT(*), "
            "SUM(custom IS NOT NULL) FROM searches WHERE state = ? "
            "GROUP BY attempt, run, stream ORDER BY MIN(sent_at)",
            (UNCERTAIN,),
        ).fetchall()
        return [
            {
                "attempt": attempt,
                "run": run,
                "stream": stream,
                "sent_at": sent_at,
                "searches": count,
                "with_custom": int(customs or 0),
            }
            for attempt, run, stream, sent_at, count, customs in rows
        ]

    def uncertain_customs(self, attempt: str) -> list[str]:
        """The leads' own ids (`custom`) in one uncertain POST, to look them up."""
        rows = self.conn.execute(
            "SELECT custom FROM searches WHERE state = ? AND attempt = ? AND custom IS NOT NULL "
            "ORDER BY custom",
            (UNCERTAIN, attempt),
        )
        return [custom for (custom,) in rows]

    def resolve_uncertain(self, attempt: str | None, batch_id: str | None) -> int:
        """Clear uncertain searches (all, or one POST's): resend them, or confirm a batch.

        With `batch_id`, the searches are recorded as submitted in that batch (found in
        the Enrow dashboard) and never sent again; without, they are forgotten and the
        next run submits them.
        """
        where, params = "state = ?", [UNCERTAIN]
        if attempt is not None:
            where += " AND attempt = ?"
            params.append(attempt)
        with self.conn:
            if batch_id is None:
                cursor = self.conn.execute(f"DELETE FROM searches WHERE {where}", params)  # noqa: S608
            else:
                cursor = self.conn.execute(
                    f"UPDATE searches SET state = ?, batch_id = ? WHERE {where}",  # noqa: S608
                    [SUBMITTED, batch_id, *params],
                )
        return cursor.rowcount

    def counts(self) -> dict[str, int]:
        """Searches per state."""
        rows = self.conn.execute("SELECT state, COUNT(*) FROM searches GROUP BY state")
        return dict(rows.fetchall())


def blocking_state(
    known: tuple[str, str] | None, resubmit_after_days: int | None, now: datetime
) -> str | None:
    """Whether a known search blocks a new one: uncertain always, submitted until it ages."""
    if known is None:
        return None
    state, sent_at = known
    if state != SUBMITTED:
        return UNCERTAIN
    if resubmit_after_days is not None:
        sent = datetime.fromisoformat(sent_at)
        if now - sent >= timedelta(days=resubmit_after_days):
            return None
    return SUBMITTED


@contextlib.contextmanager
def opened(path: Path) -> Iterator[Ledger]:
    """The ledger, read or changed outside a run (by the ledger command)."""
    if not path.exists():
        raise LedgerError(
            f"No ledger at {str(path)!r}; point --ledger at the ledger_path the target uses."
        )
    ledger = Ledger(path)
    try:
        yield ledger
    finally:
        ledger.close()


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level="DEFERRED")
    # FULL: a commit is on disk before the POST it announces is sent.
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(_SCHEMA)
    path.chmod(0o600)
    return conn


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
