-- Risk counter-entries of the defensive ledger are exposures: never a positive amount, never a benefit type,
-- so a counter-entry can never be read (or summed) as a win. Error severity: a blocking asset check.
{{ config(severity='error') }}

select
    defensive_roi_key,
    ai_system_id,
    quarter_start,
    entry_type,
    benefit_type,
    amount_usd
from {{ ref('fct_defensive_roi') }}
where
    row_type = 'risk_counter_entry'
    and (amount_usd > 0 or benefit_type is not null)
