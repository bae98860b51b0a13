-- Retired licence spend (docs/METHOD.md section 3): a licence whose status became `retired` or
-- `cancelled` on or after the adoption date of the AI system that replaced it (SaaS export extra column
-- `replaced_by_ai_system_id`, kept in extra_columns_json) stops costing its monthly run rate: the billed
-- amount of its last billing period, per month (annual amounts / 12; one-time licences have no run rate).
-- One row per retired licence; the efficiency ledger counts the run rate in every month after the retirement
-- month up to the as-of month.

with

licences as (

    select
        *,
        nullif(trim({{ json_get_text('extra_columns_json', 'replaced_by_ai_system_id') }}), '')
            as replaced_by_ai_system_id
    from {{ ref('stg_billing__saas_licences') }}

),

systems as (

    select
        ai_system_id,
        adoption_date
    from {{ ref('dim_ai_system') }}

),

retirements as (

    select
        licence_id,
        min(replaced_by_ai_system_id) as replaced_by_ai_system_id,
        min(coalesce(retired_date, billing_period_end)) as retired_date,
        max(billing_period_start) as last_period_start
    from licences
    where licence_status in ('retired', 'cancelled')
    group by licence_id

),

last_period as (

    select
        licences.licence_id,
        licences.billing_frequency,
        licences.billed_amount,
        licences.currency,
        licences.licence_status,
        licences._source_file,
        licences._line,
        row_number() over (
            partition by licences.licence_id
            order by licences.billing_period_start desc, licences._line desc
        ) as period_rank
    from licences
    inner join retirements
        on licences.licence_id = retirements.licence_id

)

select
    retirements.licence_id,
    retirements.replaced_by_ai_system_id as ai_system_id,
    systems.adoption_date,
    retirements.retired_date,
    cast({{ dbt.date_trunc('month', 'retirements.retired_date') }} as date) as retired_month,
    last_period.licence_status,
    last_period.billing_frequency,
    last_period.currency,
    cast(
        case last_period.billing_frequency
            when 'monthly' then last_period.billed_amount
            when 'annual' then round(cast(last_period.billed_amount / 12 as {{ money_type() }}), 2)
            else 0
        end as {{ money_type() }}
    ) as monthly_run_rate,
    last_period._source_file,
    last_period._line
from retirements
inner join systems
    on retirements.replaced_by_ai_system_id = systems.ai_system_id
inner join last_period
    on
        retirements.licence_id = last_period.licence_id
        and last_period.period_rank = 1
where retirements.retired_date >= systems.adoption_date
