{#- Rows of `actual` missing from `expected` and rows of `expected` missing from
    `actual`, on the given columns, each cast to a common type first (a seed's inferred
    types differ by warehouse). `columns` maps a column to string, bigint or a number of
    decimals. No rows: the two agree. -#}
{% macro enrow_rows_differ(actual, expected, columns) -%}
{%- set select_list -%}
  {%- for name, kind in columns.items() %}
    {% if kind == 'string' -%}
      cast({{ name }} as {{ dbt.type_string() }})
    {%- elif kind == 'bigint' -%}
      cast({{ name }} as {{ dbt.type_bigint() }})
    {%- else -%}
      cast(round(cast({{ name }} as {{ dbt.type_numeric() }}), {{ kind }}) as {{ dbt.type_numeric() }})
    {%- endif %} as {{ name }}{{ "," if not loop.last }}
  {%- endfor %}
{%- endset -%}
with actual_rows as (
    select {{ select_list }} from {{ actual }}
),

expected_rows as (
    select {{ select_list }} from {{ expected }}
),

missing as (
    select * from expected_rows
    {{ dbt.except() }}
    select * from actual_rows
),

unexpected as (
    select * from actual_rows
    {{ dbt.except() }}
    select * from expected_rows
)

select 'missing from the model' as difference, * from missing
union all
select 'not expected' as difference, * from unexpected
{%- endmacro %}
