{#- The credit spend models differ only in their period: one body, in one place. -#}
{% macro enrow_credit_spend(period) -%}
select
    cast({{ dbt.date_trunc(period, 'finished_at') }} as date) as period_start,
    cast(count(*) as {{ dbt.type_bigint() }}) as batches_finished,
    cast(sum(requested) as {{ dbt.type_bigint() }}) as searches,
    cast(sum(found) as {{ dbt.type_bigint() }}) as numbers_found,
    cast(sum(credits_spent) as {{ dbt.type_bigint() }}) as credits_spent,
    cast(sum(credits_refunded) as {{ dbt.type_bigint() }}) as credits_refunded
from {{ ref('enrow_batch_quality') }}
where finished_at is not null
group by 1
{%- endmacro %}
