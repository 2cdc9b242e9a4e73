"""Turn the API's documents into records: bulk results, single results, account info.

The Enrow docs have been rewritten and disagree with themselves (see the API contract),
so this is where drift is absorbed: `valid` for `found`, string indexes, lower-case
countries, missing optional keys, unknown extra keys, a search's `custom` that is not a
string. Anything that is not drift but
a broken document raises `MalformedBatchError` naming the batch and the field, never the
value (values may be phone numbers).
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tap_enrow_phone.errors import (
    BatchError,
    EnrowTapError,
    MalformedBatchError,
    SingleSearchError,
)

TERMINAL_STATUSES = frozenset({"completed", "failed"})
KNOWN_STATUSES = TERMINAL_STATUSES | {"ongoing"}
QUALIFICATIONS = frozenset({"found", "not_found"})
SINGLE_QUALIFICATIONS = QUALIFICATIONS | {"ongoing"}
STAT_FIELDS = ("requested", "finished", "found", "credits_cost", "credits_to_refund")
# How deep a free-form value (`custom`, `params`) may nest. Real ones are flat; a deeper
# one would reach the record encoder and the target, whose recursion has limits too.
MAX_NESTING = 32


@dataclass
class BatchDocument:
    """The records one batch feeds, already shaped like the stream schemas."""

    batch_id: str
    status: str
    batch: dict[str, t.Any]
    stats: dict[str, t.Any]
    results: list[dict[str, t.Any]] = field(default_factory=list)
    # Result items that could not be read: the well-formed ones are still emitted, but the
    # batch is not marked done, so the next run reads it again and nothing is lost.
    rejected_results: int = 0
    # Result items whose index an earlier item of the same answer already had: a target
    # keeps one row per (batch_id, index), so these overwrite rows without a word.
    repeated_indexes: int = 0

    @property
    def is_terminal(self) -> bool:
        """Completed or failed: the batch will never change again."""
        return self.status in TERMINAL_STATUSES and not self.rejected_results


def parse_batch_document(batch_id: str, document: object) -> BatchDocument:
    """Validate and normalise one answer for `batch_id`.

    Raises:
        MalformedBatchError: the document cannot be read as a batch answer.
    """
    if not isinstance(document, dict):
        raise _malformed(batch_id, "the answer is not a JSON object")
    status, custom = _general(batch_id, document.get("general"))
    doc = BatchDocument(
        batch_id=batch_id,
        status=status,
        batch={"id": batch_id, "status": status, "custom": custom},
        stats=_stats(batch_id, status, document.get("stats")),
    )
    if status == "ongoing":
        # Partial results of a running batch are not emitted: the next run reads the
        # batch again and emits all of them once it is finished.
        return doc

    results = document.get("results")
    if results is None:
        results = []
    elif not isinstance(results, list):
        raise _malformed(batch_id, "'results' is not a list")
    for item in results:
        try:
            doc.results.append(_result_record(batch_id, item))
        except _UnreadableItemError:  # noqa: PERF203 - zero-cost try since 3.11
            doc.rejected_results += 1
    doc.repeated_indexes = len(doc.results) - len({record["index"] for record in doc.results})
    return doc


def _general(batch_id: str, general: object) -> tuple[str, dict[str, t.Any] | None]:
    """The batch's status and custom object."""
    if not isinstance(general, dict):
        raise _malformed(batch_id, "'general' is missing or not an object")
    status = general.get("status")
    if not isinstance(status, str) or status.strip().lower() not in KNOWN_STATUSES:
        raise _malformed(
            batch_id,
            "'general.status' is missing or not one of completed, ongoing, failed",
        )
    custom = general.get("custom")
    if custom is not None and not isinstance(custom, dict):
        raise _malformed(batch_id, "'general.custom' is not an object")
    if not _nests_within(custom):
        raise _malformed(batch_id, f"'general.custom' nests over {MAX_NESTING} levels deep")
    return status.strip().lower(), custom


def _stats(batch_id: str, status: str, stats_in: object) -> dict[str, t.Any]:
    """The `batch_stats` record; absent counters are null."""
    if stats_in is None:
        stats_in = {}
    elif not isinstance(stats_in, dict):
        raise _malformed(batch_id, "'stats' is not an object")
    stats: dict[str, t.Any] = {"batch_id": batch_id, "status": status}
    for name in STAT_FIELDS:
        value = stats_in.get(name)
        if value is None and name == "found":
            value = stats_in.get("valid")  # the older docs' name for the same count
        stats[name] = _count(batch_id, f"stats.{name}", value)
    return stats


class _UnreadableItemError(Exception):
    """One result item is not the documented shape."""


def _result_record(batch_id: str, item: object) -> dict[str, t.Any]:
    """One `phone_results` record from one result item."""
    if not isinstance(item, dict):
        raise _UnreadableItemError
    index = _index(item.get("index"))
    if index is None:
        raise _UnreadableItemError
    return {"batch_id": batch_id, "index": index, **_search_outcome(item, QUALIFICATIONS)}


def _search_outcome(item: dict[str, t.Any], qualifications: frozenset[str]) -> dict[str, t.Any]:
    """The fields one search's outcome has, in a bulk result item or a single answer."""
    qualification = _optional(item, "qualification", str)
    if qualification is None:
        raise _UnreadableItemError
    qualification = qualification.strip().lower()
    if qualification not in qualifications:
        raise _UnreadableItemError
    country = _optional(item, "country", str)
    if not (_nests_within(item.get("custom")) and _nests_within(item.get("params"))):
        raise _UnreadableItemError
    return {
        "qualification": qualification,
        "number": _optional(item, "number", str) or None,
        "country": (country or "").strip().upper() or None,
        "custom": custom_text(item.get("custom")),
        "params": _optional(item, "params", dict),
    }


def custom_text(value: object) -> str | None:
    """A search's `custom` as the nullable string column every loader can create and fill.

    The docs say it is a string, and a string is kept as it is. Any other JSON value
    (object, array, number, boolean) becomes compact JSON text, so nothing is lost and
    `json.loads` gives the value back; null stays null. A column declared as "any JSON"
    is what broke loaders: they create a JSON column and then cannot fill it with a bare
    string.
    """
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_single_document(search_id: str, document: object) -> dict[str, t.Any]:
    """The `single_phone_results` record from one `GET /phone/single` answer.

    A search still running (202) answers only `{"qualification": "ongoing"}`; its
    record has that qualification and nulls, and the next run reads it again.

    Raises:
        SingleSearchError: the document is not the documented shape.
    """
    if not isinstance(document, dict):
        raise _malformed(search_id, "the answer is not a JSON object", SingleSearchError)
    try:
        outcome = _search_outcome(document, SINGLE_QUALIFICATIONS)
    except _UnreadableItemError:
        raise _malformed(
            search_id,
            "'qualification' is missing or not found, not_found or ongoing, or a field "
            "has the wrong type",
            SingleSearchError,
        ) from None
    return {"id": search_id, **outcome}


def parse_account_document(document: object, read_at: datetime) -> dict[str, t.Any]:
    """The `account` record from one `GET /account/info` answer, read at `read_at`.

    Raises:
        EnrowTapError: the document is not the documented shape.
    """
    if not isinstance(document, dict):
        raise _malformed_account("the answer is not a JSON object")
    webhooks = document.get("webhooks")
    if webhooks is not None and not (
        isinstance(webhooks, list) and all(isinstance(url, str) for url in webhooks)
    ):
        raise _malformed_account("'webhooks' is not a list of URLs")
    try:
        credits_left = _count("account", "credits", document.get("credits"))
    except MalformedBatchError:
        raise _malformed_account("'credits' is not a non-negative whole number") from None
    return {
        "read_at": read_at.astimezone(timezone.utc).isoformat(),
        "credits": credits_left,
        "webhooks": webhooks,
    }


_T = t.TypeVar("_T")


def _optional(item: dict[str, t.Any], key: str, kind: type[_T]) -> _T | None:
    """`item[key]` when it is a `kind` or absent/null; anything else is unreadable."""
    value = item.get(key)
    if value is None or isinstance(value, kind):
        return value
    raise _UnreadableItemError


# JSON values that nest nothing (None is NoneType).
_SCALARS = (str, int, float, bool, type(None))


def _nests_within(value: object, levels: int = MAX_NESTING) -> bool:
    """Whether `value` nests at most `levels` lists or objects deep (checked without recursion)."""
    if value is None or isinstance(value, str):
        return True  # the usual case, checked first: records are read by the thousand
    if isinstance(value, dict) and all(isinstance(v, _SCALARS) for v in value.values()):
        return True  # `params` is an object of strings: one level, no walk needed
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children: t.Iterable[object] = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > levels:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def _index(value: object) -> int | None:
    """An item index: an integer, or a string of digits as in the older docs."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _count(batch_id: str, name: str, value: object) -> int | None:
    """A stats counter: a non-negative whole number, or None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _malformed(batch_id, f"'{name}' is not a number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise _malformed(batch_id, f"'{name}' is not a non-negative whole number")
    return value


def _malformed_account(what: str) -> EnrowTapError:
    return EnrowTapError(
        f"Account info: the API answered with an unexpected document: {what}. No "
        "batch was read; run again, or deselect the account stream and report this to "
        "Enrow support if it persists."
    )


def _malformed(
    item_id: str, what: str, error_type: type[BatchError] = MalformedBatchError
) -> BatchError:
    return error_type.unexpected_document(item_id, what)
