{#- The fake Enrow API's demo batches, once all finished (seeds/demo, written by
    scripts/demo_expected_rows.py): each batch's counts, hit rate and credits. -#}
{{ enrow_rows_differ(ref('enrow_batch_quality'), ref('expected_batch_quality'), {
    'batch_id': 'string', 'status': 'string', 'requested': 'bigint', 'found': 'bigint',
    'hit_rate': 4, 'credits_spent': 'bigint', 'credits_refunded': 'bigint',
    'credits_per_found_number': 2, 'results_loaded': 'bigint'}) }}
