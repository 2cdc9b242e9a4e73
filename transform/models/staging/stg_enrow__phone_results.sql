{%- set raw = source('enrow', 'phone_results') -%}
with unpacked as (
    select
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        {#- Snowflake folds the unquoted name to INDEX, as target-snowflake created it. -#}
        cast({{ 'index' if target.type == 'snowflake' else adapter.quote('index') }} as {{ dbt.type_bigint() }}) as search_index,
        {{ enrow_search_columns(raw) }}
    from {{ raw }}
)

select
    {{ dbt.concat(['batch_id', "':'", dbt.safe_cast('search_index', dbt.type_string())]) }} as result_id,
    *,
    {{ enrow_search_outcome() }}
from unpacked
