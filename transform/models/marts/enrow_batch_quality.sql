{#- One row per batch: how much it found and what it cost. -#}
with status_times as (
    select
        subject_id as batch_id,
        min(observed_at) as first_seen_at,
        min(case when status in ('completed', 'failed') then observed_at end) as finished_at
    from {{ ref('int_enrow__status_changes') }}
    where subject_type = 'batch'
    group by subject_id
),

results as (
    select
        batch_id,
        count(*) as results_loaded,
        sum(case when is_found then 1 else 0 end) as numbers_loaded
    from {{ ref('stg_enrow__phone_results') }}
    group by batch_id
)

select
    b.batch_id,
    b.status,
    b.batch_custom,
    s.requested,
    -- An ongoing batch reports only how many searches are finished so far.
    case when b.status = 'ongoing' then s.finished end as finished_so_far,
    s.found,
    case when s.requested > 0 and b.status <> 'ongoing'
        then round(cast(s.found as {{ dbt.type_numeric() }}) / s.requested, 4)
    end as hit_rate,
    s.credits_spent,
    s.credits_refunded,
    case when s.found > 0
        then round(cast(s.credits_spent as {{ dbt.type_numeric() }}) / s.found, 2)
    end as credits_per_found_number,
    coalesce(r.results_loaded, 0) as results_loaded,
    t.first_seen_at,
    t.finished_at,
    b.loaded_at as last_loaded_at
from {{ ref('stg_enrow__batches') }} as b
left join {{ ref('stg_enrow__batch_stats') }} as s on s.batch_id = b.batch_id
left join results as r on r.batch_id = b.batch_id
left join status_times as t on t.batch_id = b.batch_id
