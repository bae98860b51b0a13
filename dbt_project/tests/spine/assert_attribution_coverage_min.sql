-- Release gate (docs/METHOD.md section 2): the share of AI usage cost attributed to a known identity
-- AND an AI system (registered or shadow) AND an owner team, over all usage datasets, must be at least var
-- attribution_coverage_min (default 0.95). Error severity: a blocking asset check on fct_attribution_coverage.
-- Fails with one row showing the observed share, the threshold and the cost left unattributed; the failing
-- row is also stored in the build database (schema dbt_test__audit).
{{ config(severity='error', store_failures=true) }}

with

overall as (

    select * from {{ ref('fct_attribution_coverage') }}
    where grain = 'overall' and source_dataset = 'all'

)

select
    cost_share as observed_cost_share,
    coverage_min,
    event_share as observed_event_share,
    cost_usd,
    attributed_cost_usd,
    cost_usd - attributed_cost_usd as unattributed_cost_usd,
    'attribution coverage of AI usage cost is ' || cast(round(cast(cost_share * 100 as {{ dbt.type_numeric() }}), 2) as {{ dbt.type_string() }})
    || '%, below the release minimum of ' || cast(round(cast(coverage_min * 100 as {{ dbt.type_numeric() }}), 2) as {{ dbt.type_string() }})
    || '%' as failure_reason
from overall
where cost_share is null or cost_share < coverage_min
