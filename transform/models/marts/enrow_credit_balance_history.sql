{#- The account's credit balance at every run, and how it moved since the reading before. -#}
select
    read_at,
    credits as credits_balance,
    credits - lag(credits) over (order by read_at) as credits_change
from {{ ref('stg_enrow__account') }}
