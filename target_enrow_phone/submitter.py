"""Decide what to submit and submit it safely: dedupe, budget, ledger, POST, hand-off.

The order of one submission is what keeps the money safe:

1. the account's credits must cover the batch's worst case, else stop before sending;
2. the searches are recorded `pending` in the ledger (committed);
3. one `POST /phone/bulk`, never retried unless it was answered 429;
4. the batch id is appended to `batch_ids_file` (fsynced), then the searches become
   `submitted`. Only after that may the target emit the STATE that acknowledges them.

An unknown outcome marks the searches `uncertain` and stops the run; a refusal forgets
them (nothing was created) and stops the run.
"""

from __future__ import annotations

import re
import typing as t
import uuid
from collections import Counter
from datetime import datetime, timezone

from tap_enrow_phone.documents import parse_account_document
from tap_enrow_phone.errors import FatalApiError, SubmissionUncertainError
from target_enrow_phone import ledger as ledger_states
from target_enrow_phone.errors import TargetError
from target_enrow_phone.ids_file import append_batch_id
from target_enrow_phone.leads import Search, SkipReason, make_search
from target_enrow_phone.settings import CREDITS_PER_SEARCH

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Mapping
    from pathlib import Path

    from tap_enrow_phone.client import EnrowClient
    from target_enrow_phone.ledger import Ledger
    from target_enrow_phone.progress import Progress
    from target_enrow_phone.settings import TargetSettings

_ATTEMPT_IN_FILE = re.compile(r"^\s*([^\s#]+)\s*#.*\battempt=([0-9a-f]+)")


class Submitter:
    """One run's submissions, shared by every stream's sink."""

    def __init__(  # noqa: PLR0913
        self,
        *,
        settings: TargetSettings,
        client: EnrowClient,
        ledger: Ledger,
        progress: Progress,
        logger: logging.Logger,
        run_id: str | None = None,
    ) -> None:
        """Nothing is sent yet; `start()` opens the ledger."""
        self.settings = settings
        self._client = client
        self._ledger = ledger
        self._progress = progress
        self._logger = logger
        self.run_id = run_id or (
            datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
        )
        self.skipped: Counter[SkipReason] = Counter()
        self.batch_ids: list[str] = []
        self.submitted = 0
        self.would_submit: Counter[str] = Counter()
        self._queued_keys: set[str] = set()
        self.over_limit = False
        self._ledger_exists = False

    def start(self) -> None:
        """Lock the ledger; settle what a run that died mid-submission left pending."""
        # A dry run reads the ledger if there is one, and never creates it.
        self._ledger_exists = self.settings.ledger_path.exists()
        if self.settings.dry_run:
            return
        self._ledger_exists = True
        handed_off = recover_from_ids_file(self.settings.batch_ids_file)
        try:
            made_uncertain = self._ledger.open_for_run(handed_off)
        except ledger_states.LedgerError as exc:
            raise TargetError(str(exc)) from None
        if made_uncertain:
            self._logger.warning(
                "%d searches were being submitted when an earlier run died; they are now "
                "marked uncertain and will not be sent again. See them with "
                "`target-enrow-phone-ledger --ledger %s list`.",
                made_uncertain,
                self.settings.ledger_path,
            )

    def admit(self, record: Mapping[str, t.Any]) -> Search | None:
        """The record's search if it is to be sent in this run; else count why not."""
        search = make_search(record)
        if isinstance(search, SkipReason):
            self.skipped[search] += 1
            return None
        reason: SkipReason | None = None
        if search.key in self._queued_keys:
            reason = SkipReason.REPEATED_IN_RUN
        elif blocked := self._blocked(search.key):
            reason = (
                SkipReason.UNCERTAIN
                if blocked == ledger_states.UNCERTAIN
                else SkipReason.ALREADY_SUBMITTED
            )
        elif len(self._queued_keys) >= self.settings.max_searches_per_run:
            reason = SkipReason.OVER_RUN_LIMIT
            self.over_limit = True
        if reason is not None:
            self.skipped[reason] += 1
            return None
        self._queued_keys.add(search.key)
        self._progress.queued += 1
        self._progress.tick()
        return search

    def _blocked(self, key: str) -> str | None:
        if not self._ledger_exists:
            return None
        return self._ledger.blocks(key, self.settings.resubmit_after_days)

    def submit(self, stream: str, searches: list[Search]) -> None:
        """Submit one batch of admitted searches (or, in a dry run, count them)."""
        if not searches:
            return
        if self.settings.dry_run:
            self.would_submit[stream] += len(searches)
            return
        count, worst_case = len(searches), CREDITS_PER_SEARCH * len(searches)
        self._check_credits(count, worst_case)
        attempt = uuid.uuid4().hex
        body = self._body(stream, attempt, searches)
        self._ledger.mark_pending(
            attempt, self.run_id, stream, [(s.key, s.custom) for s in searches]
        )
        try:
            answer = self._client.post_bulk_search(body)
        except SubmissionUncertainError as exc:
            self._ledger.settle(attempt, ledger_states.UNCERTAIN)
            raise TargetError(self._uncertain_text(exc.what, stream, count, attempt)) from None
        except FatalApiError as exc:
            self._ledger.forget_attempt(attempt)
            raise TargetError(
                f"{exc} Nothing from this batch of {count} searches was created; {self._so_far()}"
            ) from None
        except BaseException:
            self._ledger.settle(attempt, ledger_states.UNCERTAIN)
            raise
        self._hand_off(str(answer["id"]).strip(), stream, count, attempt)

    def _hand_off(self, batch_id: str, stream: str, count: int, attempt: str) -> None:
        try:
            append_batch_id(
                self.settings.batch_ids_file,
                batch_id,
                stream=stream,
                searches=count,
                attempt=attempt,
            )
        except OSError as exc:
            self._ledger.settle(attempt, ledger_states.SUBMITTED, batch_id)
            raise TargetError(
                f"Batch {batch_id!r} was created ({count} searches) but could not be "
                f"added to batch_ids_file {str(self.settings.batch_ids_file)!r} "
                f"({exc.strerror or type(exc).__name__}): add the line {batch_id} to it "
                "by hand so the tap reads it; the searches are recorded as submitted."
            ) from None
        self._ledger.settle(attempt, ledger_states.SUBMITTED, batch_id)
        self.batch_ids.append(batch_id)
        self.submitted += count
        self._progress.submitted += count
        self._progress.batches += 1
        self._logger.info(
            "Batch %s created: %d searches from stream %r, handed to batch_ids_file",
            batch_id,
            count,
            stream,
        )
        self._progress.tick()

    def _check_credits(self, count: int, worst_case: int) -> None:
        account = parse_account_document(
            self._client.get_account_info(), datetime.now(timezone.utc)
        )
        if account["credits"] < worst_case:
            raise TargetError(
                f"The account has {account['credits']} credits, fewer than the {worst_case} "
                f"that the next batch of {count} searches may cost (40 per search); nothing "
                f"was sent. Top up the account, or lower batch_size. {self._so_far()}"
            )

    def _body(self, stream: str, attempt: str, searches: list[Search]) -> dict[str, t.Any]:
        body: dict[str, t.Any] = {
            "searches": [s.payload for s in searches],
            "custom": {
                "source": "target-enrow-phone",
                "stream": stream,
                "run": self.run_id,
                "attempt": attempt,
            },
        }
        options = {
            name: value
            for name, value in (
                ("webhook", self.settings.webhook),
                ("country_code", self.settings.country_code),
            )
            if value
        }
        if options:
            body["settings"] = options
        return body

    def _so_far(self) -> str:
        return (
            f"Before it, {self.submitted} searches were submitted in {len(self.batch_ids)} "
            "batches, all in batch_ids_file."
        )

    def _uncertain_text(self, what: str, stream: str, count: int, attempt: str) -> str:
        ledger = self.settings.ledger_path
        return (
            f"The bulk search of {count} searches from stream {stream!r} got no clear answer "
            f"({what}): Enrow may or may not have created it and reserved up to "
            f"{CREDITS_PER_SEARCH * count} credits. It is never retried: its searches are "
            "marked uncertain in the ledger and skipped until you clear them. Check the "
            f"Enrow dashboard for a batch created just now with custom.attempt {attempt}; "
            f"then run `target-enrow-phone-ledger --ledger {ledger} confirm {attempt} "
            "--batch-id <id>` if it exists (and add the id to batch_ids_file), or "
            f"`target-enrow-phone-ledger --ledger {ledger} clear {attempt}` to submit them "
            f"again next run. {self._so_far()}"
        )

    def finish(self) -> None:
        """Log the run's summary line; release the ledger lock and the connections."""
        self._logger.info("%s", self.summary())
        self._client.close()
        self._ledger.close()

    def summary(self) -> str:
        """The run's one summary line: what was submitted, what was skipped and why."""
        skipped = sum(self.skipped.values())
        reasons = "; ".join(f"{n} {reason.value}" for reason, n in self.skipped.most_common())
        skip_text = f"skipped {skipped} records" + (f" ({reasons})" if reasons else "")
        if self.settings.dry_run:
            total = sum(self.would_submit.values())
            streams = ", ".join(f"{n} from {s!r}" for s, n in self.would_submit.items())
            return (
                f"Dry run: would submit {total} searches"
                + (f" ({streams})" if streams else "")
                + f", worst case {CREDITS_PER_SEARCH * total} credits; {skip_text}. "
                "Nothing was sent or recorded."
            )
        ids = ", ".join(self.batch_ids) or "none"
        text = (
            f"Run {self.run_id}: submitted {self.submitted} searches in "
            f"{len(self.batch_ids)} batches (ids: {ids}); {skip_text}."
        )
        if self.over_limit:
            text += (
                f" max_searches_per_run ({self.settings.max_searches_per_run}) was reached: "
                "the records over it were not acknowledged and come again next run."
            )
        return text


def recover_from_ids_file(path: Path) -> dict[str, str]:
    """Batch ids per attempt, from the comments of `batch_ids_file` (absent: none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(
            f"batch_ids_file {str(path)!r} cannot be read ({type(exc).__name__}); it must be "
            "a UTF-8 text file the target can append to."
        ) from None
    found: dict[str, str] = {}
    for line in text.splitlines():
        if match := _ATTEMPT_IN_FILE.match(line):
            found[match.group(2)] = match.group(1)
    return found
