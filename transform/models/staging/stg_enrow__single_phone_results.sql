{%- set raw = source('enrow', 'single_phone_results') -%}
with unpacked as (
    select
        cast(id as {{ dbt.type_string() }}) as search_id,
        {{ enrow_search_columns(raw) }}
    from {{ raw }}
)

select
    *,
    {{ enrow_search_outcome() }}
from unpacked
