-- Defensive benefit rows per sanctioned AI system x quarter from its adoption (four entry types, each one row).
-- The formulas: intermediate/_defensive__models.yml.

with

incidents as (

    select
        *,
        cast({{ dbt.date_trunc('quarter', 'started_at') }} as date) as quarter_start
    from {{ ref('stg_security__incidents') }}

),

scope as (

    select * from {{ ref('int_defensive__incident_scope') }}

),

quarters as (

    select distinct quarter_start from incidents
    where started_at < {{ dbt.dateadd('day', 1, spine_as_of_date()) }}

),

system_quarter_bounds as (

    select
        scope.*,
        quarters.quarter_start,
        greatest(quarters.quarter_start, scope.adoption_date) as covered_from,
        least(
            {{ dbt.dateadd('month', 3, 'quarters.quarter_start') }},
            {{ dbt.dateadd('day', 1, spine_as_of_date()) }}
        ) as covered_to
    from scope
    inner join quarters
        on quarters.quarter_start >= cast({{ dbt.date_trunc('quarter', 'scope.adoption_date') }} as date)

),

system_quarters as (

    select
        system_quarter_bounds.*,
        cast({{ dbt.datediff('covered_from', 'covered_to', 'day') }} as {{ double_type() }}) / 30.4375 as months_covered  -- noqa: LT05
    from system_quarter_bounds

),

scope_categories as (

    select
        ai_system_id,
        {{ spine_explode_list('scope_categories') }} as incident_category
    from scope

),

current_incidents as (

    select
        system_quarters.ai_system_id,
        system_quarters.quarter_start,
        count(incidents.finding_uid) as current_incident_count,
        avg(cast(incidents.response_hours as {{ double_type() }})) as current_mean_response_hours,
        avg(
            {{ elapsed_hours('incidents.started_at', 'incidents.ended_at') }}
        ) as current_mean_restore_hours,
        avg(cast(incidents.affected_identity_count as {{ double_type() }})) as current_mean_affected_identities,
        avg(cast(incidents.affected_secret_count as {{ double_type() }})) as current_mean_affected_secrets
    from system_quarters
    inner join scope_categories
        on system_quarters.ai_system_id = scope_categories.ai_system_id
    left join incidents
        on
            scope_categories.incident_category = incidents.incident_category
            and system_quarters.quarter_start = incidents.quarter_start
            and system_quarters.adoption_date <= incidents.started_at
    group by system_quarters.ai_system_id, system_quarters.quarter_start

),

measured as (

    select
        system_quarters.ai_system_id,
        system_quarters.quarter_start,
        system_quarters.scope_categories,
        system_quarters.months_covered,
        cast(system_quarters.baseline_incident_count as {{ double_type() }})
        / nullif(system_quarters.baseline_months, 0) as baseline_incidents_per_month,
        cast(current_incidents.current_incident_count as {{ double_type() }})
        / nullif(system_quarters.months_covered, 0) as current_incidents_per_month,
        current_incidents.current_incident_count,
        system_quarters.baseline_mean_loss_usd,
        system_quarters.baseline_mean_response_hours,
        current_incidents.current_mean_response_hours,
        system_quarters.baseline_mean_restore_hours,
        current_incidents.current_mean_restore_hours,
        system_quarters.baseline_mean_affected_identities,
        current_incidents.current_mean_affected_identities,
        system_quarters.baseline_mean_affected_secrets,
        current_incidents.current_mean_affected_secrets
    from system_quarters
    inner join current_incidents
        on
            system_quarters.ai_system_id = current_incidents.ai_system_id
            and system_quarters.quarter_start = current_incidents.quarter_start
    where system_quarters.months_covered > 0

),

benefit_rows as (

    select
        measured.*,
        'avoided_incident_loss' as entry_type,
        (measured.baseline_incidents_per_month - measured.current_incidents_per_month)
        * measured.months_covered as quantity,
        'incidents' as quantity_unit,
        (measured.baseline_incidents_per_month - measured.current_incidents_per_month)
        * measured.months_covered
        * measured.baseline_mean_loss_usd as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd
    from measured

    union all

    select
        measured.*,
        'response_hours_saved' as entry_type,
        (measured.baseline_mean_response_hours - measured.current_mean_response_hours)
        * measured.current_incident_count as quantity,
        'hours' as quantity_unit,
        (measured.baseline_mean_response_hours - measured.current_mean_response_hours) * measured.current_incident_count
        * {{ var('security_hourly_rate') }} as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd
    from measured

    union all

    select
        measured.*,
        'time_to_restore_security_incidents' as entry_type,
        measured.baseline_mean_restore_hours - measured.current_mean_restore_hours as quantity,
        'hours_per_incident' as quantity_unit,
        cast(null as {{ double_type() }}) as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd
    from measured

    union all

    select
        measured.*,
        'blast_radius_reduction' as entry_type,
        measured.baseline_mean_affected_identities - measured.current_mean_affected_identities as quantity,
        'identities_per_incident' as quantity_unit,
        cast(null as {{ double_type() }}) as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd
    from measured

)

select * from benefit_rows
