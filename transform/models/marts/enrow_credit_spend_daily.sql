{#- Credits the batches spent and got back, per day they finished (UTC). -#}
{{ enrow_credit_spend('day') }}
