"""The target matrix: the tap's output for every shape the docs allow, loaded by each
loader people use, and counted in the destination.

The tap runs once against the fake (demo batches in every status and both stats shapes,
per-search `custom` strings, non-ASCII text in params and custom, an unknown extra field,
a batch whose searches carry `custom` values of every JSON type, single searches, the
account); its stdout is piped into each loader, installed from PyPI at a pinned version
in a virtualenv of its own. Postgres and DuckDB are read back through SQL, files by
reading them.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import subprocess
import typing as t
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from fake_enrow import DEMO_API_KEY, FakeEnrowServer
from fake_enrow.data import DEMO_BATCH_IDS, DEMO_SINGLE_SEARCH_IDS, Batch, Catalog, found, not_found
from tests.e2e.conftest import PG_DATABASE, PG_HOST, PG_PORT, PG_USER
from tests.e2e.served import (
    KEYS,
    last_served_rows,
    last_served_single_rows,
)
from tests.e2e.target_matrix import (
    MELTANOLABS_CSV,
    PIPELINEWISE_POSTGRES,
    PIPELINEWISE_SNOWFLAKE,
    Loader,
    LoaderEnvironments,
    project_loader,
)
from tests.e2e.warehouse import postgres_primary_keys
from tests.helpers import TAP_EXECUTABLE

PROBES = Path(__file__).with_name("probes")
STREAMS = ("account", "batches", "batch_stats", "phone_results", "single_phone_results")
SEARCH_STREAMS = ("phone_results", "single_phone_results")
ALL_KEYS = {**KEYS, "account": ("read_at",), "single_phone_results": ("id",)}
# Searches whose `custom` is every JSON type, with text that trips CSV and COPY quoting.
EVERY_CUSTOM = "b-matrix-every-custom"


def every_custom_batch() -> Batch:
    """A completed batch whose searches carry `custom` values of every JSON type."""
    people = {"firstname": "Zoë", "lastname": "Ødegård", "company_name": "株式会社テスト"}
    sent: list[object] = [
        "lead-Zoë-日本-🙂",
        'a,"quoted"\nsecond line\\',
        {"crm": "hubspot", "id": 1201, "tags": ["a", "ü"]},
        ["x", 2],
        42,
        2.5,
        True,
    ]
    results = []
    for index, custom in enumerate(sent):
        item = (
            found(index, f"+3361234567{index}", "fr", **people)
            if index % 2 == 0
            else not_found(index, **people)
        )
        results.append({**item, "custom": custom, "unexpected_field": {"new": index}})
    return Batch(
        EVERY_CUSTOM,
        ["completed"],
        results,
        custom={"list": "matrix", "owner": "Zoë"},
        extra={"unexpected_top_level": [1, 2]},
    )


@dataclass
class TapOutput:
    """The tap's stdout in a file, and what each stream must hold, from the fake's side."""

    messages: Path
    rows: dict[str, int]
    customs: dict[str, list[str | None]]
    batch_customs: dict[str, object]


@pytest.fixture(scope="session")
def tap_output(tmp_path_factory: pytest.TempPathFactory) -> TapOutput:
    """One real run of `tap-enrow-phone` against the fake; its stdout kept in a file."""
    workdir = tmp_path_factory.mktemp("matrix-tap")
    catalog = Catalog()
    catalog.add(every_custom_batch())
    batch_ids = [*DEMO_BATCH_IDS, EVERY_CUSTOM]
    with FakeEnrowServer(catalog=catalog) as fake:
        config = {
            "api_key": DEMO_API_KEY,
            "api_url": fake.url,
            "batch_ids": batch_ids,
            "single_search_ids": DEMO_SINGLE_SEARCH_IDS,
        }
        (workdir / "config.json").write_text(json.dumps(config))
        messages = workdir / "messages.jsonl"
        with messages.open("wb") as stdout:
            done = subprocess.run(  # noqa: S603 - our own tap, fixed arguments
                [TAP_EXECUTABLE, "--config", str(workdir / "config.json")],
                stdout=stdout,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                timeout=300,
                check=False,
            )
        assert done.returncode == 0, done.stderr.decode()[-4000:]
        served = last_served_rows(fake, batch_ids)
        singles = last_served_single_rows(fake, DEMO_SINGLE_SEARCH_IDS)
    served_rows = {**served, "single_phone_results": singles}
    expected = TapOutput(
        messages=messages,
        rows={"account": 1, **{s: len(r) for s, r in served_rows.items()}},
        customs={s: sorted_values(r["custom"] for r in served_rows[s]) for s in SEARCH_STREAMS},
        batch_customs={r["id"]: r["custom"] for r in served["batches"]},
    )
    # The tap emitted exactly that: the matrix below checks the loaders, not the tap.
    records = Counter(
        m["stream"]
        for m in map(json.loads, messages.read_text().splitlines())
        if m["type"] == "RECORD"
    )
    assert dict(records) == expected.rows
    return expected


@pytest.fixture(scope="session")
def loader_environments(tmp_path_factory: pytest.TempPathFactory) -> LoaderEnvironments:
    """The loaders' virtualenvs, made once per session."""
    return LoaderEnvironments(tmp_path_factory.mktemp("loaders"))


@dataclass
class Landed:
    """What one loader left in its destination."""

    rows: dict[str, int]
    customs: dict[str, list[str | None]]
    batch_customs: dict[str, object]
    # Destination column types of the custom columns (databases only).
    custom_types: dict[str, str] = field(default_factory=dict)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)


def sorted_values(values: t.Iterable[str | None]) -> list[str | None]:
    """Column values in a stable order, nulls first."""
    return sorted(values, key=lambda v: (v is not None, v or ""))


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


# --- Postgres: meltanolabs-target-postgres and pipelinewise-target-postgres -------------


@pytest.fixture
def matrix_schema(postgres_dsn: str) -> t.Iterator[str]:
    """A schema of this test's own, dropped afterwards."""
    schema = f"matrix_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def postgres_landed(dsn: str, schema: str) -> Landed:
    """Row counts, custom values and types, and primary keys, through SQL."""
    with psycopg.connect(dsn, autocommit=True) as conn:

        def column(table: str, name: str) -> list[t.Any]:
            query = sql.SQL("SELECT {} FROM {}").format(
                sql.Identifier(name), sql.Identifier(schema, table)
            )
            return [value for (value,) in conn.execute(query).fetchall()]

        types: dict[str, str] = dict(
            conn.execute(
                "SELECT table_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND column_name = 'custom'",
                (schema,),
            ).fetchall()
        )
        count = "SELECT count(*) FROM {}"
        return Landed(
            rows={
                s: conn.execute(sql.SQL(count).format(sql.Identifier(schema, s))).fetchone()[0]  # type: ignore[index]
                for s in STREAMS
            },
            customs={s: sorted_values(column(s, "custom")) for s in SEARCH_STREAMS},
            batch_customs=dict(
                zip(column("batches", "id"), column("batches", "custom"), strict=True)
            ),
            custom_types=types,
            keys=postgres_primary_keys(conn, schema),
        )


def _same(text: str) -> str:
    return text


def _newline_as_backslash_n(text: str) -> str:
    # A limit of pipelinewise-target-postgres, not of the tap: it writes each value as
    # JSON into a CSV COPY whose escape character is the backslash, so a newline inside a
    # text value lands as the two characters backslash and n (db_sync.record_to_csv_line).
    return text.replace("\n", "\\n")


@pytest.mark.parametrize(
    ("loader", "settings", "text_type", "as_landed"),
    [
        pytest.param(
            Loader(
                "meltanolabs-target-postgres", project_loader("target-postgres"), "target-postgres"
            ),
            {"database": PG_DATABASE, "load_method": "upsert"},
            "text",
            _same,
            id="meltanolabs-target-postgres",
        ),
        pytest.param(
            Loader("pipelinewise-target-postgres", PIPELINEWISE_POSTGRES, "target-postgres"),
            {"dbname": PG_DATABASE},
            "character varying",
            _newline_as_backslash_n,
            id="pipelinewise-target-postgres",
        ),
    ],
)
def test_postgres_loader_loads_every_row(  # noqa: PLR0917 - fixtures and parameters
    loader: Loader,
    settings: dict[str, t.Any],
    text_type: str,
    as_landed: t.Callable[[str], str],
    tap_output: TapOutput,
    loader_environments: LoaderEnvironments,
    postgres_dsn: str,
    matrix_schema: str,
    tmp_path: Path,
) -> None:
    config = {
        "host": PG_HOST,
        "port": int(PG_PORT),
        "user": PG_USER,
        # pipelinewise-target-postgres refuses an empty password, even under trust
        # authentication, where any password is accepted.
        "password": os.environ.get("PGPASSWORD") or "unused-under-trust",
        "default_target_schema": matrix_schema,
        **settings,
    }

    loader_environments.load(loader, config, tap_output.messages, tmp_path)

    landed = postgres_landed(postgres_dsn, matrix_schema)
    customs = {
        s: sorted_values(as_landed(v) if v else v for v in tap_output.customs[s])
        for s in SEARCH_STREAMS
    }
    assert_every_row_landed(landed, replace(tap_output, customs=customs))
    assert landed.custom_types == {
        "batches": "jsonb",
        "phone_results": text_type,
        "single_phone_results": text_type,
    }
    assert landed.keys == ALL_KEYS


# --- DuckDB: target-duckdb, the quick start's loader ------------------------------------


def test_target_duckdb_loads_every_row(
    tap_output: TapOutput, loader_environments: LoaderEnvironments, tmp_path: Path
) -> None:
    requirements = project_loader("target-duckdb")
    loader = Loader("target-duckdb", requirements, "target-duckdb")
    database = tmp_path / "matrix.duckdb"

    loader_environments.load(
        loader,
        {"filepath": str(database), "default_target_schema": "enrow"},
        tap_output.messages,
        tmp_path,
    )

    tables = json.loads(
        loader_environments.python(
            requirements, PROBES / "duckdb_tables.py", str(database), "enrow", "custom"
        )
    )
    ids = json.loads(
        loader_environments.python(
            requirements, PROBES / "duckdb_tables.py", str(database), "enrow", "id"
        )
    )
    landed = Landed(
        rows={s: tables[s]["rows"] for s in STREAMS},
        customs={s: sorted_values(tables[s]["values"]) for s in SEARCH_STREAMS},
        batch_customs=dict(zip(ids["batches"]["values"], tables["batches"]["values"], strict=True)),
        custom_types={s: tables[s]["types"]["custom"] for s in ("batches", *SEARCH_STREAMS)},
    )
    assert_every_row_landed(landed, tap_output)
    assert landed.custom_types == {
        "batches": "JSON",
        "phone_results": "VARCHAR",
        "single_phone_results": "VARCHAR",
    }


# --- Files: meltanolabs-target-csv and target-jsonl -------------------------------------


def test_meltanolabs_target_csv_writes_every_row(
    tap_output: TapOutput, loader_environments: LoaderEnvironments, tmp_path: Path
) -> None:
    loader = Loader("meltanolabs-target-csv", MELTANOLABS_CSV, "target-csv")
    output = tmp_path / "csv"

    loader_environments.load(loader, {"output_path": str(output)}, tap_output.messages, tmp_path)

    tables = {}
    for stream in STREAMS:
        with (output / f"{stream}.csv").open(newline="", encoding="utf-8") as file:
            tables[stream] = list(csv.DictReader(file))
    landed = Landed(
        rows={s: len(rows) for s, rows in tables.items()},
        # CSV has no null: an empty cell is a null custom (no search sends "").
        customs={s: sorted_values(r["custom"] or None for r in tables[s]) for s in SEARCH_STREAMS},
        # A limit of this target: it writes an object cell as Python's repr of it
        # ({'crm_list': 'q3'}), not as JSON.
        batch_customs={
            r["id"]: ast.literal_eval(r["custom"]) if r["custom"] else None
            for r in tables["batches"]
        },
    )
    assert_every_row_landed(landed, tap_output)


def test_target_jsonl_writes_every_row(
    tap_output: TapOutput, loader_environments: LoaderEnvironments, tmp_path: Path
) -> None:
    loader = Loader("target-jsonl", project_loader("target-jsonl"), "target-jsonl")
    output = tmp_path / "jsonl"
    output.mkdir()

    loader_environments.load(
        loader,
        {"destination_path": str(output), "do_timestamp_file": False},
        tap_output.messages,
        tmp_path,
    )

    tables = {
        s: [json.loads(line) for line in (output / f"{s}.jsonl").read_text().splitlines()]
        for s in STREAMS
    }
    landed = Landed(
        rows={s: len(rows) for s, rows in tables.items()},
        customs={s: sorted_values(r.get("custom") for r in tables[s]) for s in SEARCH_STREAMS},
        batch_customs={r["id"]: r["custom"] for r in tables["batches"]},
    )
    assert_every_row_landed(landed, tap_output)


def assert_every_row_landed(landed: Landed, expected: TapOutput) -> None:
    """Row counts, every search's custom as sent, and batch custom objects, as served."""
    assert landed.rows == expected.rows
    for stream in SEARCH_STREAMS:
        assert landed.customs[stream] == expected.customs[stream], stream
    assert {k: _json(v) for k, v in landed.batch_customs.items()} == expected.batch_customs


# --- Snowflake, without Snowflake: what each loader would create ------------------------

# Every column of every stream, as Snowflake should hold it: text as VARCHAR, counts as
# NUMBER, objects and lists as VARIANT, the read time as a timestamp, flags as BOOLEAN,
# and a search's custom as VARCHAR.
SEARCH_OUTCOME = {
    "qualification": "VARCHAR",
    "number": "VARCHAR",
    "country": "VARCHAR",
    "custom": "VARCHAR",
    "params": "VARIANT",
    "number_type": "VARCHAR",
    "number_valid": "BOOLEAN",
    "number_national": "VARCHAR",
}
SNOWFLAKE_COLUMNS = {
    "account": {"read_at": "TIMESTAMP_NTZ", "credits": "NUMBER", "webhooks": "VARIANT"},
    "batches": {"id": "VARCHAR", "status": "VARCHAR", "custom": "VARIANT"},
    "batch_stats": {
        "batch_id": "VARCHAR",
        "status": "VARCHAR",
        **dict.fromkeys(
            ("requested", "finished", "found", "credits_cost", "credits_to_refund"), "NUMBER"
        ),
    },
    "phone_results": {"batch_id": "VARCHAR", "index": "NUMBER", **SEARCH_OUTCOME},
    "single_phone_results": {"id": "VARCHAR", **SEARCH_OUTCOME},
}
# pipelinewise-target-snowflake's own names for the same types (TEXT is VARCHAR there).
PIPELINEWISE_NAMES = {"VARCHAR": "text"}


def schema_messages(tap_output: TapOutput) -> str:
    """The tap's SCHEMA messages, as a target receives them."""
    lines = tap_output.messages.read_text().splitlines()
    return "\n".join(line for line in lines if json.loads(line)["type"] == "SCHEMA")


def primary_key(ddl: str) -> tuple[str, ...]:
    """The primary key columns of a CREATE TABLE statement, lower case, unquoted."""
    match = re.search(r"PRIMARY KEY ?\(([^)]*)\)", ddl)
    assert match, ddl
    return tuple(name.strip().strip('"').lower() for name in match.group(1).split(","))


def test_meltanolabs_target_snowflake_would_create_the_sensible_column_types_and_keys(
    tap_output: TapOutput, loader_environments: LoaderEnvironments
) -> None:
    # Its own connector is asked (to_sql_type, create_empty_table); nothing connects.
    report = json.loads(
        loader_environments.python(
            project_loader("target-snowflake"),
            PROBES / "snowflake_meltanolabs.py",
            stdin=schema_messages(tap_output),
        )
    )

    assert {s: r["types"] for s, r in report.items()} == SNOWFLAKE_COLUMNS
    assert {s: primary_key(r["ddl"]) for s, r in report.items()} == ALL_KEYS


def test_pipelinewise_target_snowflake_would_create_the_sensible_column_types_and_keys(
    tap_output: TapOutput, loader_environments: LoaderEnvironments
) -> None:
    # Its own column_type() and DbSync.create_table_query(); nothing connects.
    report = json.loads(
        loader_environments.python(
            PIPELINEWISE_SNOWFLAKE,
            PROBES / "snowflake_pipelinewise.py",
            stdin=schema_messages(tap_output),
        )
    )

    assert {s: r["types"] for s, r in report.items()} == {
        stream: {name: PIPELINEWISE_NAMES.get(kind, kind.lower()) for name, kind in columns.items()}
        for stream, columns in SNOWFLAKE_COLUMNS.items()
    }
    assert {s: primary_key(r["ddl"]) for s, r in report.items()} == ALL_KEYS
