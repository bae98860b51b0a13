-- Release gate (docs/METHOD.md section 2, cost separation): a charge is billed once. Two lines with the
-- same natural key (the provider's line `Id` within its billing account, else the charge's attributes: see
-- int_cost_lines__classified) are the same money counted twice, e.g. a second export restating a line under
-- another file name. Fails with the key, how many times it was landed and the files. Error severity: a blocking
-- asset check on fct_cost_lines.
{{ config(severity='error', store_failures=true, meta={'dagster': {'ref': {'name': 'fct_cost_lines'}}}) }}

select
    line_natural_key,
    min(provider_line_id) as provider_line_id,
    count(*) as landed_times,
    sum(billed_cost) as billed_cost_total,
    min(_source_file) as first_source_file,
    max(_source_file) as last_source_file
from {{ ref('fct_cost_lines') }}
group by line_natural_key
having count(*) > 1
