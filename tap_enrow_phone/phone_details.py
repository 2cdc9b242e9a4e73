"""Describe found phone numbers with the optional `phonenumbers` package.

Only imported when the `phone_details` setting is on: `phonenumbers` carries metadata
for every numbering plan in the world, which a run without the setting should not pay
for. Nothing here logs a number or puts one in an error.
"""

from __future__ import annotations

import importlib
import typing as t

from tap_enrow_phone.errors import ConfigError

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from types import ModuleType

DETAIL_FIELDS = ("number_type", "number_valid", "number_national")
INSTALL_HINT = (
    "phone_details is on but the phonenumbers package is not installed; install the tap "
    "with its extra (pip install 'tap-enrow-phone[phone-details]', or in meltano.yml "
    "pip_url: tap-enrow-phone[phone-details]), or set phone_details to false."
)


class PhoneDetails:
    """Adds `number_type`, `number_valid` and `number_national` to found results."""

    def __init__(self) -> None:
        """Import `phonenumbers` now, so a missing package is a config error.

        Raises:
            ConfigError: `phonenumbers` is not installed.
        """
        try:
            self._lib: ModuleType = importlib.import_module("phonenumbers")
        except ImportError:
            raise ConfigError(INSTALL_HINT) from None
        number_types = self._lib.PhoneNumberType
        # PhoneNumberType is a plain class of int constants: MOBILE, FIXED_LINE, VOIP, ...
        self._type_names: dict[int, str] = {
            value: name.lower()
            for name, value in vars(number_types).items()
            if name.isupper() and isinstance(value, int)
        }

    def describe(self, number: str | None, country: str | None) -> dict[str, t.Any]:
        """The detail fields for one number; all null when there is no number."""
        if not number:
            return dict.fromkeys(DETAIL_FIELDS)
        lib = self._lib
        try:
            # The country is only used for numbers written without a leading +.
            parsed = lib.parse(number, country or None)
        except lib.NumberParseException:
            return {"number_type": None, "number_valid": False, "number_national": None}
        valid = bool(lib.is_valid_number(parsed))
        return {
            "number_type": self._type_names.get(lib.number_type(parsed), "unknown"),
            "number_valid": valid,
            # A national form of an invalid number would look dialable and is not.
            "number_national": (
                lib.format_number(parsed, lib.PhoneNumberFormat.NATIONAL) if valid else None
            ),
        }

    def add_to(self, records: Iterable[dict[str, t.Any]]) -> Iterator[dict[str, t.Any]]:
        """The records, each with the detail fields added in place."""
        for record in records:
            record.update(self.describe(record.get("number"), record.get("country")))
            yield record
