{#- Every finished batch's credits appear once in the daily and once in the weekly spend:
    the three totals agree. Returns a row when they do not. -#}
with totals as (
    select 'batches' as counted_from, sum(credits_spent) as spent, sum(credits_refunded) as refunded,
        sum(found) as found
    from {{ ref('enrow_batch_quality') }}
    where finished_at is not null
    union all
    select 'days', sum(credits_spent), sum(credits_refunded), sum(numbers_found)
    from {{ ref('enrow_credit_spend_daily') }}
    union all
    select 'weeks', sum(credits_spent), sum(credits_refunded), sum(numbers_found)
    from {{ ref('enrow_credit_spend_weekly') }}
)

select *
from totals
where coalesce(spent, -1) <> (select coalesce(spent, -1) from totals where counted_from = 'batches')
   or coalesce(refunded, -1) <> (select coalesce(refunded, -1) from totals where counted_from = 'batches')
   or coalesce(found, -1) <> (select coalesce(found, -1) from totals where counted_from = 'batches')
