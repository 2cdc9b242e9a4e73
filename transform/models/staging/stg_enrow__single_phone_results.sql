{%- set raw = source('enrow', 'single_phone_results') -%}
with unpacked as (
    select
        cast(id as {{ dbt.type_string() }}) as search_id,
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
    from {{ raw }}
)

select
    *,
    case when qualification = 'valid' then 'found' else qualification end = 'found'
        and phone_number is not null as is_found,
    {{ enrow_lead_key_type('search_custom', 'linkedin_url', 'firstname', 'lastname') }} as lead_key_type,
    {{ enrow_lead_key('search_custom', 'linkedin_url', 'firstname', 'lastname', 'company_domain', 'company_name') }} as lead_key
from unpacked
