{%- set raw = source('enrow', 'batches') -%}
select
    cast(id as {{ dbt.type_string() }}) as batch_id,
    {{ enrow_normalised('status') }} as status,
    {{ enrow_json_as_text('custom') }} as batch_custom,
    {{ enrow_loaded_at(raw) }} as loaded_at
from {{ raw }}
