-- AI systems, one row per system: the registered systems of the inventory (sanctioned, with adoption date
-- and the three ledger owners), the shadow systems discovered from usage and policy markers that map to no
-- registered system (not sanctioned), and the explicit member 'ais-unattributed' that usage or decisions
-- with no AI system are kept under. Usage totals and first / last sighting over usage and decisions.

with

inventory as (

    select * from {{ ref('int_inventory__latest') }}
    where record_type = 'ai_system'

),

markers as (

    select * from {{ ref('int_ai_system__markers') }}

),

usage_facts as (

    select * from {{ ref('fct_ai_usage') }}

),

decisions as (

    select * from {{ ref('fct_policy_decisions') }}

),

systems as (

    select * from inventory

),

marker_lists as (

    select
        ai_system_id,
        {{ dbt.listagg('marker_value', "';'", 'order by marker_value') }} as usage_markers
    from markers
    where marker_type <> 'ai_system_id' or system_type = 'shadow'
    group by ai_system_id

),

registered as (

    select
        systems.record_id as ai_system_id,
        systems.display_name as ai_system_name,
        'registered' as system_type,
        true as is_sanctioned,
        systems.ai_system_category,
        systems.vendor_name,
        systems.owner_team,
        systems.adoption_date,
        systems.record_status,
        systems.security_owner,
        systems.finance_owner,
        systems.engineering_owner,
        cast(null as {{ dbt.type_string() }}) as discovered_in,
        cast(null as {{ dbt.type_timestamp() }}) as marker_first_seen_at,
        systems._source_file,
        systems._line
    from systems

),

shadow as (

    select * from {{ ref('int_ai_system__shadow') }}

),

unattributed as (

    select
        'ais-unattributed' as ai_system_id,
        'Unattributed usage' as ai_system_name,
        'unattributed' as system_type,
        false as is_sanctioned,
        cast(null as {{ dbt.type_string() }}) as ai_system_category,
        cast(null as {{ dbt.type_string() }}) as vendor_name,
        cast(null as {{ dbt.type_string() }}) as owner_team,
        cast(null as date) as adoption_date,
        cast(null as {{ dbt.type_string() }}) as record_status,
        cast(null as {{ dbt.type_string() }}) as security_owner,
        cast(null as {{ dbt.type_string() }}) as finance_owner,
        cast(null as {{ dbt.type_string() }}) as engineering_owner,
        cast(null as {{ dbt.type_string() }}) as discovered_in,
        cast(null as {{ dbt.type_timestamp() }}) as marker_first_seen_at,
        cast(null as {{ dbt.type_string() }}) as _source_file,
        cast(null as bigint) as _line

),

all_systems as (

    select * from registered
    union all
    select * from shadow
    union all
    select * from unattributed

),

usage_summary as (

    select
        ai_system_id,
        sum(cost_usd) as total_spend_usd,
        sum(request_count) as request_count,
        count(distinct case when identity_id <> 'unattributed' then identity_id end) as identity_count,
        min(first_event_at) as first_usage_at,
        max(last_event_at) as last_usage_at
    from usage_facts
    group by ai_system_id

),

decision_summary as (

    select
        ai_system_id,
        count(*) as decision_count,
        min(decided_at) as first_decision_at,
        max(decided_at) as last_decision_at
    from decisions
    group by ai_system_id

),

final as (

    select
        all_systems.ai_system_id,
        all_systems.ai_system_name,
        all_systems.system_type,
        all_systems.is_sanctioned,
        all_systems.ai_system_category,
        all_systems.vendor_name,
        all_systems.owner_team,
        all_systems.adoption_date,
        all_systems.record_status,
        all_systems.security_owner,
        all_systems.finance_owner,
        all_systems.engineering_owner,
        marker_lists.usage_markers,
        all_systems.discovered_in,
        -- least / greatest skip NULLs on DuckDB, PostgreSQL and Spark
        least(
            all_systems.marker_first_seen_at, usage_summary.first_usage_at, decision_summary.first_decision_at
        ) as first_seen_at,
        greatest(usage_summary.last_usage_at, decision_summary.last_decision_at) as last_seen_at,
        cast(coalesce(usage_summary.total_spend_usd, 0) as {{ money_type() }}) as total_spend_usd,
        cast(coalesce(usage_summary.request_count, 0) as bigint) as request_count,
        cast(coalesce(usage_summary.identity_count, 0) as bigint) as identity_count,
        cast(coalesce(decision_summary.decision_count, 0) as bigint) as decision_count,
        all_systems._source_file,
        cast(all_systems._line as bigint) as _line
    from all_systems
    left join marker_lists
        on all_systems.ai_system_id = marker_lists.ai_system_id
    left join usage_summary
        on all_systems.ai_system_id = usage_summary.ai_system_id
    left join decision_summary
        on all_systems.ai_system_id = decision_summary.ai_system_id

)

select * from final
