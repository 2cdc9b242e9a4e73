{#- Credits the batches spent and got back, per week they finished (weeks start on the
    warehouse's week start: Monday on Postgres, DuckDB and Snowflake's default). -#}
{{ enrow_credit_spend('week') }}
