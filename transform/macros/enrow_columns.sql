{#- Raw tables differ by loader and tap version: metadata columns (_sdc_extracted_at)
    exist only where the loader adds them, and tables loaded by older tap versions may
    carry `valid` instead of `found`. These macros look at the real table at run time,
    so one model fits them all. -#}

{#- The lower-case data type of a column, or none when the table lacks it (and while
    dbt only parses). -#}
{% macro enrow_column_type(relation, column) -%}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- for col in adapter.get_columns_in_relation(relation) -%}
    {%- if col.name | lower == column | lower -%}
      {{ return(col.dtype | lower) }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(none) }}
{%- endmacro %}

{#- The column cast to `type`, or a typed null when the table has no such column. -#}
{% macro enrow_column_or_null(relation, column, type) -%}
  {%- if enrow_column_type(relation, column) is not none -%}
    cast({{ column }} as {{ type }})
  {%- else -%}
    cast(null as {{ type }})
  {%- endif -%}
{%- endmacro %}

{#- When the loader wrote the row (its _sdc_extracted_at), or null without metadata
    columns (target-duckdb by default). -#}
{% macro enrow_loaded_at(relation) -%}
  {{ enrow_column_or_null(relation, '_sdc_extracted_at', dbt.type_timestamp()) }}
{%- endmacro %}

{#- A status or qualification in the documented spelling: trimmed, lower case. -#}
{% macro enrow_normalised(column) -%}
  nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- A LinkedIn profile URL reduced to what identifies the person: no scheme, no www.,
    no query or fragment, no trailing slash, lower case. -#}
{% macro enrow_linkedin_key(column) -%}
  nullif(rtrim(
    {{ dbt.split_part(dbt.split_part(
      "replace(replace(replace(lower(trim(" ~ column ~ ")), 'https://', ''), 'http://', ''), 'www.', '')",
      "'?'", 1), "'#'", 1) }},
  '/'), '')
{%- endmacro %}
