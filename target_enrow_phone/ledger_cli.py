"""`target-enrow-phone-ledger`: list and clear the searches whose submission is uncertain.

    target-enrow-phone-ledger --ledger PATH list
    target-enrow-phone-ledger --ledger PATH confirm ATTEMPT --batch-id ID
    target-enrow-phone-ledger --ledger PATH clear ATTEMPT   (or: clear --all)

`list` shows each uncertain POST (its attempt, run, stream, time, number of searches)
and, with `--customs`, the leads' own ids it carried. `confirm` records a batch found in
the Enrow dashboard (its searches are never sent again; add the id to batch_ids_file);
`clear` forgets the searches so that the next run submits them again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from target_enrow_phone.ledger import DEFAULT_LEDGER_PATH, Ledger, LedgerError, opened


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit 1 with one line on a bad ledger path or attempt."""
    parser = argparse.ArgumentParser(prog="target-enrow-phone-ledger", description=__doc__)
    parser.add_argument(
        "--ledger", default=DEFAULT_LEDGER_PATH, help="the target's ledger_path setting"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show uncertain submissions")
    listing.add_argument("--customs", action="store_true", help="also list the leads' custom ids")
    confirm = commands.add_parser("confirm", help="record an uncertain POST as created")
    confirm.add_argument("attempt")
    confirm.add_argument("--batch-id", required=True)
    clear = commands.add_parser("clear", help="forget uncertain searches: sent again next run")
    which = clear.add_mutually_exclusive_group(required=True)
    which.add_argument("attempt", nargs="?")
    which.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    try:
        with opened(Path(args.ledger).expanduser()) as ledger:
            if args.command == "list":
                return _list(ledger, customs=args.customs)
            attempt = None if getattr(args, "all", False) else args.attempt
            batch_id = args.batch_id.strip() if args.command == "confirm" else None
            _resolve(ledger, attempt, batch_id)
    except LedgerError as exc:
        print(f"target-enrow-phone-ledger: {exc}", file=sys.stderr)
        return 1
    return 0


def _resolve(ledger: Ledger, attempt: str | None, batch_id: str | None) -> None:
    changed = ledger.resolve_uncertain(attempt, batch_id)
    if changed == 0:
        raise LedgerError("No uncertain search matches; `list` shows the uncertain attempts.")
    what = f"recorded as submitted in batch {batch_id}" if batch_id else "cleared"
    print(f"{changed} uncertain searches {what}.")


def _list(ledger: Ledger, *, customs: bool) -> int:
    groups = ledger.uncertain()
    if not groups:
        print("No uncertain searches.")
        return 0
    for group in groups:
        print(
            f"attempt {group['attempt']}  run {group['run']}  stream {group['stream']}  "
            f"sent {group['sent_at']}  searches {group['searches']}"
        )
        if customs:
            for custom in ledger.uncertain_customs(group["attempt"]):
                print(f"    custom {custom}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
