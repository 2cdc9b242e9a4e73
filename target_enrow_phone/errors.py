"""The target's own error: one line saying what is wrong and what to do."""

from __future__ import annotations

from tap_enrow_phone.errors import EnrowTapError


class TargetError(EnrowTapError):
    """The run cannot go on; the message is the whole explanation."""
