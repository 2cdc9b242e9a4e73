"""Baseline (a): the tap a user gets by following the Singer SDK template for this API.

Three `RESTStream`s, one per stream, each requesting `GET /phone/bulk?id=` itself for
every batch id (a partition per id), one request at a time, with the SDK's default
writer and its full per-record path. Same schemas and the same records as
tap-enrow-phone, so the benchmark compares like with like.

Run: python bench/baseline_template_tap.py --config config.json
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from singer_sdk import RESTStream, SchemaDirectory, StreamSchema, Tap
from singer_sdk import typing as th
from singer_sdk.authenticators import APIKeyAuthenticator

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(Path(__file__).resolve().parent.parent / "schemas")


class EnrowStream(RESTStream[None]):
    """A stream read from `GET /phone/bulk?id=<batch id>`, one partition per batch."""

    path = "/phone/bulk"
    schema = StreamSchema(SCHEMAS)  # schemas/<stream name>.json

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"])

    @property
    def authenticator(self) -> APIKeyAuthenticator:
        return APIKeyAuthenticator(key="x-api-key", value=self.config["api_key"])

    @property
    def partitions(self) -> list[dict[str, t.Any]]:
        return [{"batch_id": batch_id} for batch_id in self.config["batch_ids"]]

    def get_url_params(
        self,
        context: Context | None,
        next_page_token: object,  # noqa: ARG002 - one page per batch
    ) -> dict[str, t.Any]:
        return {"id": _batch_id(context)}


class BatchesStream(EnrowStream):
    name = "batches"
    primary_keys = ("id",)
    records_jsonpath = "$.general"

    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any]:
        return {"id": _batch_id(context), "status": row["status"], "custom": row.get("custom")}


class BatchStatsStream(EnrowStream):
    name = "batch_stats"
    primary_keys = ("batch_id",)
    records_jsonpath = "$"

    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any]:
        stats = row.get("stats") or {}
        record = {"batch_id": _batch_id(context), "status": row["general"]["status"]}
        for name in ("requested", "finished", "found", "credits_cost", "credits_to_refund"):
            record[name] = stats.get(name)
        return record


class PhoneResultsStream(EnrowStream):
    name = "phone_results"
    primary_keys = ("batch_id", "index")
    records_jsonpath = "$.results[*]"

    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any]:
        return {
            "batch_id": _batch_id(context),
            "index": row["index"],
            "qualification": row["qualification"],
            "number": row.get("number"),
            "country": row.get("country"),
            "custom": row.get("custom"),
            "params": row.get("params"),
        }


def _batch_id(context: Context | None) -> str:
    if context is None:
        raise ValueError("every request is for one batch")
    return str(context["batch_id"])


class TapEnrowTemplate(Tap):
    name = "tap-enrow-template"
    config_jsonschema = th.PropertiesList(
        th.Property("api_key", th.StringType, required=True, secret=True),
        th.Property("api_url", th.StringType, required=True),
        th.Property("batch_ids", th.ArrayType(th.StringType), required=True),
    ).to_dict()

    def discover_streams(self) -> list[EnrowStream]:
        return [BatchesStream(self), BatchStatsStream(self), PhoneResultsStream(self)]


if __name__ == "__main__":
    TapEnrowTemplate.cli()
