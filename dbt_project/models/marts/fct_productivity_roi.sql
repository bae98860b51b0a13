-- The productivity ledger (docs/METHOD.md section 3): per sanctioned AI system x month x delivery
-- metric, the difference in differences of the team x month metrics of fct_delivery_performance:
--   adopters      teams whose usage of the system reached var productivity_adoption_min_requests in a month
--                 (int_productivity__team_adoption); before = the team's months before its adoption month,
--                 after = the row's month (only teams that adopted before that month)
--   non-adopters  teams with delivery data that never reached the threshold; before = their months before the
--                 system's first team adoption month (the pivot), after = the row's month
--   before value  the team's mean monthly metric over its before months; teams weigh equally
--   did_effect    (adopters after - adopters before) - (non-adopters after - non-adopters before)
-- Rows exist for every month after the pivot; did_effect is NULL when either group has no team with data.
-- Hours saved (capacity, never cash): time to restore only, the reduction in hours per incident x the
-- adopters' incidents restored in the month (responder hours), valued at var engineering_hourly_rate in
-- capacity_value_usd. Lead time and approval cycle time are elapsed waiting time, not effort: they are
-- reported as effects, never turned into hours of capacity. Each row is one benefit claim, tagged with its benefit_type
-- (seed benefit_catalogue); time to restore is tagged time_to_restore_security_incidents when incidents
-- behind it are also in the security incident export (a defensive benefit: the one-claim gate blocks it).
-- The team `unassigned` of fct_delivery_performance (rows without a team, a mix of unknown teams) is in neither group.

with

performance as (

    select * from {{ ref('fct_delivery_performance') }}

),

adoption as (

    select * from {{ ref('int_productivity__team_adoption') }}

),

{#- metric, its value, the units it is computed over, the security incidents in scope (time to restore only) -#}
{%- set metrics = [
    ('deployment_frequency', 'deployments_per_week', 'deployment_count', '0'),
    ('lead_time', 'median_lead_time_minutes', 'lead_time_change_count', '0'),
    ('change_failure_rate', 'change_failure_rate', 'deployment_count', '0'),
    ('time_to_restore', 'median_time_to_restore_hours', 'restored_incident_count', 'security_incident_count'),
    ('approval_cycle_time', 'median_approval_cycle_hours', 'approved_change_count', '0'),
    ('throughput', 'cast(work_items_resolved_count as ' ~ double_type() ~ ')', 'work_items_resolved_count', '0'),
] %}

team_metrics as (
    {% for metric, value, units, security in metrics %}
        select
            team,
            month_start,
            '{{ metric }}' as metric,
            {{ value }} as metric_value,
            change_count,
            {{ units }} as unit_count,
            {{ security }} as security_incident_count  -- noqa: AL09 (the time_to_restore branch selects the column)
        from performance
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

pivots as (

    select
        ai_system_id,
        min(adoption_month) as pivot_month
    from adoption
    group by ai_system_id

),

teams as (

    -- `unassigned` (delivery rows no source gave a team) is no team: neither adopter nor non-adopter
    select distinct team from performance
    where team <> {{ delivery_unassigned_team() }}

),

assignment as (

    select
        adoption.ai_system_id,
        adoption.team,
        true as is_adopter,
        adoption.adoption_month as baseline_end
    from adoption

    union all

    select
        pivots.ai_system_id,
        teams.team,
        false as is_adopter,
        pivots.pivot_month as baseline_end
    from pivots
    cross join teams
    left join adoption
        on pivots.ai_system_id = adoption.ai_system_id and teams.team = adoption.team
    where adoption.team is null

),

baselines as (

    select
        assignment.ai_system_id,
        assignment.team,
        assignment.is_adopter,
        assignment.baseline_end,
        team_metrics.metric,
        avg(team_metrics.metric_value) as before_value,
        sum(team_metrics.change_count) as before_change_count
    from assignment
    inner join team_metrics
        on assignment.team = team_metrics.team and assignment.baseline_end > team_metrics.month_start
    where team_metrics.metric_value is not null
    group by
        assignment.ai_system_id,
        assignment.team,
        assignment.is_adopter,
        assignment.baseline_end,
        team_metrics.metric

),

observations as (

    select
        baselines.ai_system_id,
        baselines.team,
        baselines.is_adopter,
        baselines.metric,
        baselines.before_value,
        baselines.before_change_count,
        team_metrics.month_start,
        team_metrics.metric_value as after_value,
        team_metrics.change_count as after_change_count,
        team_metrics.unit_count as after_unit_count,
        team_metrics.security_incident_count
    from baselines
    inner join team_metrics
        on
            baselines.team = team_metrics.team
            and baselines.metric = team_metrics.metric
            and baselines.baseline_end < team_metrics.month_start
    where team_metrics.metric_value is not null

),

grouped as (

    select
        observations.ai_system_id,
        observations.month_start,
        observations.metric,
        pivots.pivot_month,
        sum(case when observations.is_adopter then 1 else 0 end) as adopter_team_count,
        sum(case when observations.is_adopter then 0 else 1 end) as non_adopter_team_count,
        {{ sorted_listagg('case when observations.is_adopter then observations.team end') }} as adopter_teams,
        {{ sorted_listagg('case when not observations.is_adopter then observations.team end') }} as non_adopter_teams,
        avg(case when observations.is_adopter then observations.before_value end) as adopters_before,
        avg(case when observations.is_adopter then observations.after_value end) as adopters_after,
        avg(case when not observations.is_adopter then observations.before_value end) as non_adopters_before,
        avg(case when not observations.is_adopter then observations.after_value end) as non_adopters_after,
        sum(case when observations.is_adopter then observations.before_change_count else 0 end)
            as adopter_change_count_before,
        sum(case when observations.is_adopter then observations.after_change_count else 0 end)
            as adopter_change_count_after,
        sum(case when not observations.is_adopter then observations.before_change_count else 0 end)
            as non_adopter_change_count_before,
        sum(case when not observations.is_adopter then observations.after_change_count else 0 end)
            as non_adopter_change_count_after,
        sum(case when observations.is_adopter then observations.after_unit_count else 0 end)
            as adopter_unit_count_after,
        sum(observations.security_incident_count) as security_incident_count
    from observations
    inner join pivots
        on observations.ai_system_id = pivots.ai_system_id
    group by
        observations.ai_system_id,
        observations.month_start,
        observations.metric,
        pivots.pivot_month

),

effects as (

    select
        *,
        metric in ('deployment_frequency', 'throughput') as higher_is_better,
        case
            when adopter_team_count > 0 and non_adopter_team_count > 0
                then (adopters_after - adopters_before) - (non_adopters_after - non_adopters_before)
        end as did_effect
    from grouped

),

valued as (

    select
        *,
        case when higher_is_better then did_effect else -did_effect end as improvement,
        case
            when did_effect is null then null
            when metric = 'time_to_restore' then greatest(-did_effect, 0) * adopter_unit_count_after
        end as hours_saved
    from effects

),

final as (

    select
        {{ surrogate_key(['ai_system_id', 'month_start', 'metric']) }} as productivity_roi_key,
        ai_system_id,
        month_start,
        metric,
        case
            when metric = 'time_to_restore' and security_incident_count > 0 then 'time_to_restore_security_incidents'
            when metric = 'time_to_restore' then 'time_to_restore_change_failures'
            else metric
        end as benefit_type,
        'benefit' as row_type,
        'usage_threshold' as adoption_basis,
        pivot_month,
        higher_is_better,
        cast(adopter_team_count as bigint) as adopter_team_count,
        cast(non_adopter_team_count as bigint) as non_adopter_team_count,
        adopter_teams,
        non_adopter_teams,
        cast(adopters_before as {{ double_type() }}) as adopters_before,
        cast(adopters_after as {{ double_type() }}) as adopters_after,
        cast(non_adopters_before as {{ double_type() }}) as non_adopters_before,
        cast(non_adopters_after as {{ double_type() }}) as non_adopters_after,
        cast(did_effect as {{ double_type() }}) as did_effect,
        cast(improvement as {{ double_type() }}) as improvement,
        cast(adopter_change_count_before as bigint) as adopter_change_count_before,
        cast(adopter_change_count_after as bigint) as adopter_change_count_after,
        cast(non_adopter_change_count_before as bigint) as non_adopter_change_count_before,
        cast(non_adopter_change_count_after as bigint) as non_adopter_change_count_after,
        cast(adopter_unit_count_after as bigint) as adopter_unit_count_after,
        cast(security_incident_count as bigint) as security_incident_count,
        cast(hours_saved as {{ double_type() }}) as hours_saved,
        cast({{ var('engineering_hourly_rate') }} as {{ money_type() }}) as engineering_hourly_rate,
        cast(cast(hours_saved as decimal(38, 6)) * {{ var('engineering_hourly_rate') }} as {{ money_type() }})
            as capacity_value_usd
    from valued

)

select * from final
