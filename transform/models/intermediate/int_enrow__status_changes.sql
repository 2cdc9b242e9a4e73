{#- When each batch and single search was first seen in each status. The raw tables keep
    only the latest status (the loader upserts by key), so this model remembers every new
    status as it appears: each `dbt build` after a load appends the statuses it has not
    seen before, at the row's load time (_sdc_extracted_at) or, without metadata columns,
    the time of the build. `dbt build --full-refresh` forgets that history. -#}
{{ config(materialized='incremental', incremental_strategy='append') }}

with current_statuses as (
    select
        'batch' as subject_type,
        batch_id as subject_id,
        status,
        coalesce(loaded_at, {{ enrow_utc_now() }}) as observed_at
    from {{ ref('stg_enrow__batches') }}
    union all
    select
        'single_search' as subject_type,
        search_id as subject_id,
        case when qualification = 'ongoing' then 'ongoing' else 'completed' end as status,
        coalesce(loaded_at, {{ enrow_utc_now() }}) as observed_at
    from {{ ref('stg_enrow__single_phone_results') }}
)

select
    {{ dbt.concat(['c.subject_type', "':'", 'c.subject_id', "':'", 'c.status']) }} as status_change_id,
    c.subject_type,
    c.subject_id,
    c.status,
    c.observed_at
from current_statuses as c
{% if is_incremental() %}
where not exists (
    select 1
    from {{ this }} as seen
    where seen.subject_type = c.subject_type
      and seen.subject_id = c.subject_id
      and seen.status = c.status
)
{% endif %}
