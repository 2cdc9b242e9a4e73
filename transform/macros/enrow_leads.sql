{#- Who a search was about, as one key a CRM can match: the search's own `custom` (the
    submitter's id) when present, else the normalised LinkedIn URL, else first name, last
    name and company (domain, or name). Null when a search carries none of them. -#}

{% macro enrow_lead_key_type(custom, linkedin_url, firstname, lastname) -%}
  case
    when nullif(trim({{ custom }}), '') is not null then 'custom'
    when {{ enrow_linkedin_key(linkedin_url) }} is not null then 'linkedin_url'
    when nullif(trim({{ firstname }}), '') is not null
      or nullif(trim({{ lastname }}), '') is not null then 'name_company'
  end
{%- endmacro %}

{% macro enrow_lead_key(custom, linkedin_url, firstname, lastname, company_domain, company_name) -%}
  case
    when nullif(trim({{ custom }}), '') is not null then trim({{ custom }})
    when {{ enrow_linkedin_key(linkedin_url) }} is not null then {{ enrow_linkedin_key(linkedin_url) }}
    when nullif(trim({{ firstname }}), '') is not null
      or nullif(trim({{ lastname }}), '') is not null then
      {{ dbt.concat([
        "lower(trim(coalesce(" ~ firstname ~ ", '')))", "'|'",
        "lower(trim(coalesce(" ~ lastname ~ ", '')))", "'|'",
        "lower(trim(coalesce(" ~ company_domain ~ ", " ~ company_name ~ ", '')))"
      ]) }}
  end
{%- endmacro %}

{#- The columns bulk results and single searches share: the outcome, the number, and the
    search's custom and params unpacked. -#}
{% macro enrow_search_columns(raw) -%}
        {{ enrow_normalised('qualification') }} as qualification,
        nullif(trim(number), '') as phone_number,
        upper(nullif(trim(country), '')) as country,
        {{ enrow_search_custom(raw, 'custom') }} as search_custom,
        {{ enrow_json_text('params', 'linkedin_url') }} as linkedin_url,
        {{ enrow_json_text('params', 'firstname') }} as firstname,
        {{ enrow_json_text('params', 'lastname') }} as lastname,
        {{ enrow_json_text('params', 'company_domain') }} as company_domain,
        {{ enrow_json_text('params', 'company_name') }} as company_name,
        number_type,
        number_valid,
        number_national,
        {{ enrow_loaded_at(raw) }} as loaded_at
{%- endmacro %}

{#- Columns derived from enrow_search_columns: whether a number was found (older docs
    call a hit `valid`) and who the search was about. -#}
{% macro enrow_search_outcome() -%}
    case when qualification = 'valid' then 'found' else qualification end = 'found'
        and phone_number is not null as is_found,
    {{ enrow_lead_key_type('search_custom', 'linkedin_url', 'firstname', 'lastname') }} as lead_key_type,
    {{ enrow_lead_key('search_custom', 'linkedin_url', 'firstname', 'lastname', 'company_domain', 'company_name') }} as lead_key
{%- endmacro %}
