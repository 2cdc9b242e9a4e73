"""The tap's state: which ids are finished, kept compact, and checked before any request.

Each id stream (`batches`, `single_phone_results`) keeps one list in its bookmark:

    {"bookmarks": {"batches": {"finished": ["e3b61122-d6a6-4ea7-b331-9b734682a76a", ...]}}}

An id of up to 40 characters (an Enrow id is a 36-character UUID) is kept as it is, so
`meltano state get` stays readable; a longer one is kept as `#` and a 22-character digest
(`#` never occurs in an id: the settings refuse it). So a finished id costs at most 43
bytes of state, however many runs ago it finished; ids that are not finished are not kept
at all (they are read again).

Releases up to 0.1.0 kept one partition per id (`{"context": {"id": ...}, "done": true,
"status": ...}`); `upgrade_state` reads those once and rewrites them in the list form.
Only `"done": true` counts as finished: anything else (`"false"`, 1, a missing mark) is
read again, because reading a batch again is free and rows are upserted by key.

A state that is not this shape is refused in one line before any request, with how to
recover, rather than failing deep inside the SDK or after records were written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import typing as t

from tap_enrow_phone.errors import StateError

if t.TYPE_CHECKING:
    from collections.abc import Iterable

# The streams whose bookmark says which ids are finished.
ID_STREAMS = ("batches", "single_phone_results")
FINISHED = "finished"
_PARTITIONS = "partitions"
_MAX_PLAIN_ID = 40
_DIGEST_BYTES = 16

_RECOVER = (
    "To start over, clear the state (`meltano state clear <state id>`, or run once with "
    "`meltano run --full-refresh ...`; without Meltano, run without --state): every id is "
    "then read again and rows are upserted, never duplicated."
)


def finished_key(item_id: str) -> str:
    """How a finished id is written in the state: itself, or `#` and a digest if long."""
    if len(item_id) <= _MAX_PLAIN_ID:
        return item_id
    digest = hashlib.blake2b(item_id.encode(), digest_size=_DIGEST_BYTES).digest()
    return "#" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class FinishedIds:
    """The finished ids of one stream, kept in (and written through) its bookmark."""

    def __init__(self, bookmark: dict[str, t.Any]) -> None:
        """Share the bookmark's list, so every STATE message carries what was added."""
        self._keys: list[str] = bookmark.setdefault(FINISHED, [])
        self._known = set(self._keys)

    def __contains__(self, item_id: object) -> bool:
        """Whether `item_id` was finished in this run or an earlier one."""
        return isinstance(item_id, str) and finished_key(item_id) in self._known

    def __len__(self) -> int:
        """How many ids are kept as finished."""
        return len(self._keys)

    def add(self, item_id: str) -> None:
        """Remember `item_id` as finished; call only once its records were written."""
        key = finished_key(item_id)
        if key not in self._known:
            self._known.add(key)
            self._keys.append(key)


def check_state_text(text: str) -> None:
    """Refuse a state file that is empty, not JSON or not the shape, before the SDK reads it."""
    if not text.strip():
        _refuse("the state file is empty")
    try:
        state = json.loads(text)
    except ValueError as exc:
        _refuse(f"the state file is not JSON ({exc})")
    upgrade_state(state)


def upgrade_state(state: object) -> dict[str, t.Any]:
    """The state handed to the tap, checked and in the current form.

    Raises `StateError` naming what is wrong and how to recover.
    """
    if not isinstance(state, dict):
        _refuse(f"the state is {_kind(state)}, not a JSON object")
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        _refuse(f"bookmarks is {_kind(bookmarks)}, not an object")
    upgraded: dict[str, t.Any] = {**state, "bookmarks": {}}
    for stream, bookmark in bookmarks.items():
        where = f"bookmarks.{stream}"
        if not isinstance(bookmark, dict):
            _refuse(f"{where} is {_kind(bookmark)}, not an object")
        upgraded["bookmarks"][stream] = (
            _upgrade_id_bookmark(bookmark, where) if stream in ID_STREAMS else bookmark
        )
    return upgraded


def _upgrade_id_bookmark(bookmark: dict[str, t.Any], where: str) -> dict[str, t.Any]:
    """An id stream's bookmark as one `finished` list, from either form."""
    finished = bookmark.get(FINISHED, [])
    if not isinstance(finished, list) or not all(isinstance(k, str) for k in finished):
        _refuse(f"{where}.{FINISHED} is not a list of ids")
    keys = dict.fromkeys(t.cast("list[str]", finished))
    keys.update(dict.fromkeys(_finished_in_partitions(bookmark.get(_PARTITIONS, []), where)))
    rest = {k: v for k, v in bookmark.items() if k not in {FINISHED, _PARTITIONS}}
    return {**rest, FINISHED: list(keys)}


def _finished_in_partitions(partitions: object, where: str) -> Iterable[str]:
    """The keys of the ids an older release's partitions mark finished."""
    where = f"{where}.{_PARTITIONS}"
    if not isinstance(partitions, list):
        _refuse(f"{where} is {_kind(partitions)}, not a list")
    for number, partition in enumerate(partitions):
        context = partition.get("context") if isinstance(partition, dict) else None
        item_id = context.get("id") if isinstance(context, dict) else None
        if not isinstance(item_id, str) or not item_id:
            _refuse(f"{where}[{number}] does not hold a context with a text id")
        if partition.get("done") is True:
            yield finished_key(item_id)


def _kind(value: object) -> str:
    """The JSON kind of `value`, for a message that must not quote the value itself."""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return kinds.get(type(value), "a number" if isinstance(value, (int, float)) else "unknown")


def _refuse(what: str) -> t.NoReturn:
    raise StateError(f"The state handed to the tap cannot be used: {what}. {_RECOVER}")
