{#- The fake Enrow API's demo batches and single searches, once all finished
    (seeds/demo, written by scripts/demo_expected_rows.py): one row per lead with the
    number found, where it came from and the key a CRM matches on. -#}
{{ enrow_rows_differ(ref('enrow_latest_phone_per_lead'), ref('expected_latest_phone_per_lead'), {
    'lead_key': 'string', 'lead_key_type': 'string', 'phone_number': 'string',
    'country': 'string', 'source': 'string', 'batch_id': 'string', 'search_index': 'bigint',
    'single_search_id': 'string', 'numbers_found_for_lead': 'bigint'}) }}
