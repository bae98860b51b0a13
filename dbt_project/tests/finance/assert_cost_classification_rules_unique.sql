-- The cost separation rulebook gives one class per ChargeCategory x ChargeFrequency: a combination listed twice
-- would put its lines in two classes (the join in int_cost_lines__classified would duplicate them). Fails with
-- the combination and how often it is listed.
{{ config(severity='error') }}

select
    charge_category_key,
    charge_frequency_key,
    count(*) as rule_count
from {{ ref('cost_classification_rules') }}
group by
    charge_category_key,
    charge_frequency_key
having count(*) > 1
