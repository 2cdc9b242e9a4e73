{%- set raw = source('enrow', 'batch_stats') -%}
select
    cast(batch_id as {{ dbt.type_string() }}) as batch_id,
    {{ enrow_normalised('status') }} as status,
    cast(requested as {{ dbt.type_bigint() }}) as requested,
    cast(finished as {{ dbt.type_bigint() }}) as finished,
    -- Older API versions call it `valid`; the tap folds it into `found`, and tables an
    -- older loader filled may still have the column.
    coalesce(
        cast(found as {{ dbt.type_bigint() }}),
        {{ enrow_column_or_null(raw, 'valid', dbt.type_bigint()) }}
    ) as found,
    cast(credits_cost as {{ dbt.type_bigint() }}) as credits_spent,
    cast(credits_to_refund as {{ dbt.type_bigint() }}) as credits_refunded,
    {{ enrow_loaded_at(raw) }} as loaded_at
from {{ raw }}
