-- Finance ledger, cost separation (docs/METHOD.md section 2): one row per billed FOCUS charge line,
-- classified exactly once (int_cost_lines__classified) and attributed to one AI system or to "not AI"
-- (int_cost_lines__attributed), with the rules that decided both and the line's provenance. The release gates
-- are tests/finance/assert_cost_separation_*.sql and the key tests in _finance__models.yml.

with

attributed as (

    select * from {{ ref('int_cost_lines__attributed') }}

)

select
    cast(cost_line_id as {{ dbt.type_string() }}) as cost_line_id,
    cast(line_natural_key as {{ dbt.type_string() }}) as line_natural_key,
    cast(provider_line_id as {{ dbt.type_string() }}) as provider_line_id,
    cast(ai_system_id as {{ dbt.type_string() }}) as ai_system_id,
    cast(is_ai_spend as boolean) as is_ai_spend,
    cast(cost_class as {{ dbt.type_string() }}) as cost_class,
    cast(is_correction as boolean) as is_correction,
    cast(is_support as boolean) as is_support,
    cast(billed_cost as {{ money_type() }}) as billed_cost,
    cast(effective_cost as {{ money_type() }}) as effective_cost,
    cast(billing_currency as {{ dbt.type_string() }}) as billing_currency,
    cast(billing_period_start as {{ dbt.type_timestamp() }}) as billing_period_start,
    cast(billing_month as date) as billing_month,
    cast(charge_period_start as {{ dbt.type_timestamp() }}) as charge_period_start,
    cast(charge_category as {{ dbt.type_string() }}) as charge_category,
    cast(charge_frequency as {{ dbt.type_string() }}) as charge_frequency,
    cast(charge_class as {{ dbt.type_string() }}) as charge_class,
    cast(charge_description as {{ dbt.type_string() }}) as charge_description,
    cast(billing_account_id as {{ dbt.type_string() }}) as billing_account_id,
    cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
    cast(provider_name as {{ dbt.type_string() }}) as provider_name,
    cast(service_category as {{ dbt.type_string() }}) as service_category,
    cast(service_name as {{ dbt.type_string() }}) as service_name,
    cast(resource_id as {{ dbt.type_string() }}) as resource_id,
    cast(classification_rule as {{ dbt.type_string() }}) as classification_rule,
    cast(attribution_rule as {{ dbt.type_string() }}) as attribution_rule,
    cast(caller_identity_id as {{ dbt.type_string() }}) as caller_identity_id,
    cast(_source_file as {{ dbt.type_string() }}) as _source_file,
    cast(_line as {{ dbt.type_bigint() }}) as _line
from attributed
