"""The private singer-sdk members the tap relies on are still there, as the tap uses them.

The SDK offers no public hook for these (checked against singer-sdk 0.54.9, the newest
release); the `~=` pin keeps them stable, and `scripts/canary.sh` runs this suite against
the newest release, where this file names the member that moved.
"""

from __future__ import annotations

import inspect
import typing as t

import pytest
from singer_sdk import Stream, Tap
from singer_sdk.helpers._state import StateWriter
from singer_sdk.io_base import GenericSingerWriter

from tap_enrow_phone.output import EncodedStateWriter
from tap_enrow_phone.record_path import LeanRecordStream
from tap_enrow_phone.streams import BatchesStream
from tap_enrow_phone.tap import TapEnrowPhone

# (SDK class, private method) -> the tap's class overriding it.
OVERRIDES: dict[tuple[type, str], type] = {
    (Tap, "_validate_config"): TapEnrowPhone,
    (Tap, "_handle_termination"): TapEnrowPhone,
    (Stream, "_write_schema_message"): LeanRecordStream,
    (Stream, "_write_record_message"): LeanRecordStream,
}
SDK_BASES = (Tap, Stream, StateWriter, GenericSingerWriter)


def _parameters(function: t.Callable[..., t.Any]) -> list[tuple[str, t.Any]]:
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(
    ("sdk_class", "name"), list(OVERRIDES), ids=[f"{c.__name__}.{n}" for c, n in OVERRIDES]
)
def test_overridden_private_method_keeps_its_sdk_signature(sdk_class: type, name: str) -> None:
    assert name in vars(sdk_class) or hasattr(sdk_class, name)
    ours = OVERRIDES[sdk_class, name]
    assert _parameters(getattr(sdk_class, name)) == _parameters(getattr(ours, name))


def test_every_private_override_is_listed_here() -> None:
    # A private SDK method overridden without being listed would escape the check above.
    classes = [TapEnrowPhone, LeanRecordStream, BatchesStream, EncodedStateWriter]
    overridden = {
        (base, name)
        for cls in classes
        for klass in cls.__mro__
        if klass.__module__.startswith("tap_enrow_phone")
        for name in vars(klass)
        if name.startswith("_") and not name.startswith("__") and name != "_abc_impl"
        for base in SDK_BASES
        if issubclass(cls, base) and name in dir(base)
    }
    assert overridden <= set(OVERRIDES)


def test_the_sdk_writes_state_through_the_writer_the_tap_installs() -> None:
    tap = TapEnrowPhone(config={"api_key": "k", "batch_ids": ["b"]}, validate_config=False)
    assert isinstance(tap._state_writer, EncodedStateWriter)
    assert "_state_writer" in inspect.getsource(Tap.sync_all)


def test_streams_still_carry_the_private_attributes_the_lean_path_reads() -> None:
    tap = TapEnrowPhone(config={"api_key": "k", "batch_ids": ["b"]}, validate_config=False)
    stream = tap.streams["batches"]
    assert stream._tap is tap
    assert hasattr(stream, "_stream_version")
    assert hasattr(stream.state_manager, "is_flushed")
