"""Print the batch-quality model from a DuckDB file; chart hit rate per batch, credits over time.

Reads what `meltano run tap-enrow-phone target-duckdb dbt-duckdb:build` left in the file
(the dbt models in <schema>_analytics) and writes a PNG. Run it with the project's
environment, which has DuckDB and matplotlib in the `charts` dependency group:

    uv run --group charts python scripts/batch_quality_chart.py output/warehouse.duckdb
"""

from __future__ import annotations

import argparse
import typing as t
from pathlib import Path

import duckdb
import matplotlib as mpl

mpl.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt

BATCH_QUALITY = """
    SELECT batch_id, status, requested, found, hit_rate, credits_spent, credits_refunded,
           credits_per_found_number, finished_at
    FROM "{schema}".enrow_batch_quality
    ORDER BY finished_at NULLS LAST, batch_id
"""


def main(argv: list[str] | None = None) -> int:
    """Print the model, write the chart, say where."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("database", type=Path, help="the .duckdb file")
    parser.add_argument(
        "--schema", default="enrow_analytics", help="schema of the models (default: %(default)s)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("output/batch_quality.png"), help="PNG to write"
    )
    args = parser.parse_args(argv)

    with duckdb.connect(str(args.database), read_only=True) as conn:
        relation = conn.sql(BATCH_QUALITY.format(schema=args.schema))
        relation.show(max_width=160)
        names = [column[0] for column in relation.description]
        rows = [dict(zip(names, row, strict=True)) for row in relation.fetchall()]
    draw(rows, args.out)
    print(f"chart written to {args.out}")
    return 0


def draw(rows: list[dict[str, t.Any]], out: Path) -> None:
    """Two panels: hit rate per batch, and credits spent and refunded as batches finished."""
    fig, (rates, spend) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    labels = [str(r["batch_id"]) for r in rows]
    hit_rates = [float(r["hit_rate"] or 0) * 100 for r in rows]
    bars = rates.barh(labels, hit_rates, color="#2f7ebc")
    rates.bar_label(
        bars,
        labels=[
            f"{r['found']}/{r['requested']}" if r["hit_rate"] is not None else r["status"]
            for r in rows
        ],
        padding=3,
    )
    rates.set_xlim(0, 115)
    rates.set_xlabel("hit rate (%): numbers found / searches")
    rates.set_title("Hit rate per batch")
    rates.invert_yaxis()

    done = [r for r in rows if r["finished_at"] is not None]
    spent = _running_total(int(r["credits_spent"] or 0) for r in done)
    refunded = _running_total(int(r["credits_refunded"] or 0) for r in done)
    steps = range(1, len(done) + 1)
    spend.step(steps, spent, where="post", marker="o", label="spent")
    spend.step(steps, refunded, where="post", marker="o", label="refunded")
    spend.set_xticks(list(steps), [f"{r['finished_at']:%m-%d %H:%M}" for r in done])
    spend.tick_params(axis="x", labelrotation=30)
    spend.set_xlabel("batches, in the order they finished (UTC)")
    spend.set_ylabel("credits, cumulative")
    spend.set_title("Credits over time")
    spend.legend()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def _running_total(values: t.Iterable[int]) -> list[int]:
    totals, total = [], 0
    for value in values:
        total += value
        totals.append(total)
    return totals


if __name__ == "__main__":
    raise SystemExit(main())
