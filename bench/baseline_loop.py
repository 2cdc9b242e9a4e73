"""Baseline (b): no framework, requests plus msgspec writing the same Singer lines.

The practical limit for Python: the same requests (a bounded window of them in flight,
in id order), the same records, the same SCHEMA, RECORD and STATE lines, with none of
the checks, state handling or error handling of a tap.

Run: python bench/baseline_loop.py --config config.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import typing as t
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import msgspec
import requests

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
STREAMS = {"batches": ["id"], "batch_stats": ["batch_id"], "phone_results": ["batch_id", "index"]}
STAT_FIELDS = ("requested", "finished", "found", "credits_cost", "credits_to_refund")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    config = json.loads(Path(parser.parse_args().config).read_text())
    session = requests.Session()
    session.headers["x-api-key"] = config["api_key"]
    url = config["api_url"] + "/phone/bulk"
    window_size = int(config.get("max_concurrency", 8))

    encoder = msgspec.json.Encoder()
    out = sys.stdout.buffer
    lines = bytearray()

    def emit(message: dict[str, t.Any]) -> None:
        encoder.encode_into(message, lines, -1)
        lines.extend(b"\n")

    for stream, keys in STREAMS.items():
        schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
        emit({"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": keys})

    def fetch(batch_id: str) -> dict[str, t.Any]:
        response = session.get(url, params={"id": batch_id}, timeout=30)
        response.raise_for_status()
        document: dict[str, t.Any] = msgspec.json.decode(response.content)
        return document

    done: list[dict[str, t.Any]] = []
    with ThreadPoolExecutor(window_size) as pool:
        window: deque[tuple[str, Future[dict[str, t.Any]]]] = deque()
        ids = iter(config["batch_ids"])
        for batch_id in ids:
            window.append((batch_id, pool.submit(fetch, batch_id)))
            if len(window) >= window_size:
                break
        while window:
            batch_id, future = window.popleft()
            next_id = next(ids, None)
            if next_id is not None:
                window.append((next_id, pool.submit(fetch, next_id)))
            doc = future.result()
            now = dt.datetime.now(dt.timezone.utc)
            general, stats = doc["general"], doc.get("stats") or {}
            status = general["status"]
            emit(
                {
                    "type": "RECORD",
                    "stream": "batches",
                    "record": {"id": batch_id, "status": status, "custom": general.get("custom")},
                    "time_extracted": now,
                }
            )
            stats_record = {"batch_id": batch_id, "status": status}
            for name in STAT_FIELDS:
                stats_record[name] = stats.get(name)
            emit(
                {
                    "type": "RECORD",
                    "stream": "batch_stats",
                    "record": stats_record,
                    "time_extracted": now,
                }
            )
            for item in doc.get("results") or []:
                country = item.get("country")
                emit(
                    {
                        "type": "RECORD",
                        "stream": "phone_results",
                        "record": {
                            "batch_id": batch_id,
                            "index": item["index"],
                            "qualification": item["qualification"],
                            "number": item.get("number"),
                            "country": country.upper() if country else None,
                            "custom": item.get("custom"),
                            "params": item.get("params"),
                        },
                        "time_extracted": dt.datetime.now(dt.timezone.utc),
                    }
                )
            done.append({"context": {"id": batch_id}, "status": status, "done": True})
            emit({"type": "STATE", "value": {"bookmarks": {"batches": {"partitions": done}}}})
            out.write(lines)
            out.flush()
            lines.clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
