{#- One row per lead: the most recent number found for them, from bulk batches and single
    searches alike. The table a CRM sync reads, matching on lead_key. -#}
with finished as (
    select subject_type, subject_id, min(observed_at) as finished_at
    from {{ ref('int_enrow__status_changes') }}
    where status in ('completed', 'failed')
    group by subject_type, subject_id
),

found_numbers as (
    select
        r.lead_key,
        r.lead_key_type,
        r.phone_number,
        r.country,
        r.number_type,
        'bulk' as source,
        r.batch_id,
        r.search_index,
        cast(null as {{ dbt.type_string() }}) as single_search_id,
        coalesce(f.finished_at, r.loaded_at) as found_at,
        r.linkedin_url,
        r.firstname,
        r.lastname,
        r.company_domain,
        r.company_name
    from {{ ref('stg_enrow__phone_results') }} as r
    left join finished as f on f.subject_type = 'batch' and f.subject_id = r.batch_id
    where r.is_found and r.lead_key is not null
    union all
    select
        s.lead_key,
        s.lead_key_type,
        s.phone_number,
        s.country,
        s.number_type,
        'single' as source,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        cast(null as {{ dbt.type_bigint() }}) as search_index,
        s.search_id as single_search_id,
        coalesce(f.finished_at, s.loaded_at) as found_at,
        s.linkedin_url,
        s.firstname,
        s.lastname,
        s.company_domain,
        s.company_name
    from {{ ref('stg_enrow__single_phone_results') }} as s
    left join finished as f on f.subject_type = 'single_search' and f.subject_id = s.search_id
    where s.is_found and s.lead_key is not null
),

ranked as (
    select
        *,
        count(*) over (partition by lead_key) as numbers_found_for_lead,
        row_number() over (
            partition by lead_key
            -- Latest first; ties (one load) broken the same way on every warehouse.
            order by found_at desc nulls last, batch_id desc nulls last,
                search_index desc nulls last, single_search_id desc nulls last
        ) as recency
    from found_numbers
)

select
    lead_key,
    lead_key_type,
    phone_number,
    country,
    number_type,
    source,
    batch_id,
    search_index,
    single_search_id,
    found_at,
    numbers_found_for_lead,
    linkedin_url,
    firstname,
    lastname,
    company_domain,
    company_name
from ranked
where recency = 1
