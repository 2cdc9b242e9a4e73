"""Every column of every stream is a type each loader can create and fill."""

from __future__ import annotations

import json
import typing as t

import pytest

from tests.helpers import REPO

SCHEMAS = sorted((REPO / "schemas").glob("*.json"))


def _columns(path: t.Any) -> list[tuple[str, dict[str, t.Any]]]:
    return list(json.loads(path.read_text())["properties"].items())


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.stem)
def test_each_column_has_one_type_besides_null(path: t.Any) -> None:
    # A union such as ["object", "string", ...] makes loaders create a JSON column and
    # then fail on a bare string (target-duckdb, pipelinewise-target-postgres).
    for name, column in _columns(path):
        types = column["type"] if isinstance(column["type"], list) else [column["type"]]
        assert len(set(types) - {"null"}) == 1, f"{path.stem}.{name}: {types}"
        assert "anyOf" not in column
        assert "oneOf" not in column


@pytest.mark.parametrize("stream", ["phone_results", "single_phone_results"])
def test_a_searchs_custom_is_a_nullable_string(stream: str) -> None:
    columns = dict(_columns(REPO / "schemas" / f"{stream}.json"))
    assert columns["custom"]["type"] == ["string", "null"]
    assert "JSON text" in columns["custom"]["description"]
