{#- Warehouse differences, one dispatch macro each. The loaders store the tap's JSON
    objects (params, custom) as jsonb on Postgres, JSON on DuckDB and VARIANT on
    Snowflake. -#}

{#- A top-level key of a JSON object column, as text; null when the key is missing,
    the value is JSON null or the column is null. -#}
{% macro enrow_json_text(column, key) -%}
  {{ return(adapter.dispatch('enrow_json_text', 'enrow')(column, key)) }}
{%- endmacro %}

{% macro default__enrow_json_text(column, key) -%}
  ({{ column }} ->> '{{ key }}')
{%- endmacro %}

{% macro duckdb__enrow_json_text(column, key) -%}
  json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro snowflake__enrow_json_text(column, key) -%}
  {#- `:key::varchar` gives the string without its JSON quotes (get() keeps them on
      some emulators) and null for a missing key. -#}
  {{ column }}:{{ key }}::varchar
{%- endmacro %}


{#- A whole JSON value as JSON text (for display columns such as a batch's custom
    object); SQL null and JSON null both give null. -#}
{% macro enrow_json_as_text(column) -%}
  {{ return(adapter.dispatch('enrow_json_as_text', 'enrow')(column)) }}
{%- endmacro %}

{% macro default__enrow_json_as_text(column) -%}
  nullif(cast({{ column }} as text), 'null')
{%- endmacro %}

{% macro duckdb__enrow_json_as_text(column) -%}
  nullif(cast({{ column }} as varchar), 'null')
{%- endmacro %}

{% macro snowflake__enrow_json_as_text(column) -%}
  nullif(to_json({{ column }}), 'null')
{%- endmacro %}


{#- The per-search `custom` (the submitter's own id for a search) as text, from either
    form a warehouse may hold: a JSON column (tap versions that typed it as any JSON),
    where only a JSON string is an id, or a text column (tap versions that send a string,
    a non-string value as compact JSON text), taken as it is. The column's type is read
    from the warehouse at run time. -#}
{% macro enrow_search_custom(relation, column) -%}
  {%- set data_type = enrow_column_type(relation, column) -%}
  {{ return(adapter.dispatch('enrow_search_custom', 'enrow')(column, data_type)) }}
{%- endmacro %}

{% macro default__enrow_search_custom(column, data_type) -%}
  {%- if data_type in ('json', 'jsonb') -%}
    case when jsonb_typeof(cast({{ column }} as jsonb)) = 'string' then {{ column }} #>> '{}' end
  {%- else -%}
    cast({{ column }} as {{ dbt.type_string() }})
  {%- endif -%}
{%- endmacro %}

{% macro duckdb__enrow_search_custom(column, data_type) -%}
  {%- if data_type == 'json' -%}
    case when json_type({{ column }}) = 'VARCHAR' then json_extract_string({{ column }}, '$') end
  {%- else -%}
    cast({{ column }} as varchar)
  {%- endif -%}
{%- endmacro %}

{% macro snowflake__enrow_search_custom(column, data_type) -%}
  {%- if data_type in ('variant', 'object', 'array') -%}
    {#- Only a JSON string starts with a quote. Wrapping the value in an object and
        reading it back with `:v::varchar` unquotes it on Snowflake and on emulators whose
        plain `::varchar` of a VARIANT keeps the quotes. -#}
    case when left(to_json({{ column }}), 1) = '"'
      then object_construct('v', {{ column }}):v::varchar end
  {%- else -%}
    cast({{ column }} as varchar)
  {%- endif -%}
{%- endmacro %}


{#- The current time in UTC as a timestamp without time zone, the type the loaders give
    the tap's date-time columns. -#}
{% macro enrow_utc_now() -%}
  {{ return(adapter.dispatch('enrow_utc_now', 'enrow')()) }}
{%- endmacro %}

{% macro default__enrow_utc_now() -%}
  cast((now() at time zone 'utc') as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__enrow_utc_now() -%}
  cast(timezone('UTC', get_current_timestamp()) as timestamp)
{%- endmacro %}

{% macro snowflake__enrow_utc_now() -%}
  cast(sysdate() as timestamp_ntz)
{%- endmacro %}
