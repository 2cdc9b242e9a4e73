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
