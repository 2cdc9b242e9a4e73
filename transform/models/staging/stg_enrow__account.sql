{%- set raw = source('enrow', 'account') -%}
select
    cast(read_at as {{ dbt.type_timestamp() }}) as read_at,
    cast(credits as {{ dbt.type_bigint() }}) as credits
from {{ raw }}
