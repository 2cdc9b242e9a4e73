{%- set raw = source('enrow', 'phone_results') -%}
with unpacked as (
    select
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast({{ adapter.quote('index') if target.type != 'snowflake' else 'index' }} as {{ dbt.type_bigint() }}) as search_index,
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
    {{ dbt.concat(['batch_id', "':'", dbt.safe_cast('search_index', dbt.type_string())]) }} as result_id,
    *,
    -- Older docs call a hit `valid`.
    case when qualification = 'valid' then 'found' else qualification end = 'found'
        and phone_number is not null as is_found,
    {{ enrow_lead_key_type('search_custom', 'linkedin_url', 'firstname', 'lastname') }} as lead_key_type,
    {{ enrow_lead_key('search_custom', 'linkedin_url', 'firstname', 'lastname', 'company_domain', 'company_name') }} as lead_key
from unpacked
