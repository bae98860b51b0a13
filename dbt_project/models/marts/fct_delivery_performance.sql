-- Delivery performance per team x month, the DORA four keys as the Four Keys project defines them, DORA's fifth
-- metric (deployment rework rate), approval cycle time and throughput (docs/METHOD.md section 3):
--   deployment frequency  production deployments in the month, per week (deployments x 7 / days covered); every
--                         production deployment counts, with or without a change list
--   lead time             median over the changes shipped by the month's deployments of deploy time minus
--                         change time, in minutes, ignoring non-positive values
--   change failure rate   deployments of the month with a linked incident / deployments of the month
--   time to restore       median over the team's incidents created in the month of resolved minus created,
--                         in hours (open incidents left out)
--   rework rate           deployments of the month made while one of the team's incidents was open /
--                         deployments of the month (int_delivery__deployment_rework)
--   approval cycle time   median over the team's changes created in the month of approved minus created, hours
--   throughput            work items resolved in the month (and changes created, beside it)
-- Teams are resolved (macros/delivery.sql): the row's own team, else seed repository_teams by repository, else
-- the explicit team `unassigned`, so no row is dropped for want of a team.
-- Dense grid: every team with delivery activity x every month from its first activity to the as-of month.

with

deployments as (

    select * from {{ ref('int_delivery__deployments') }}

),

deployment_changes as (

    select * from {{ ref('int_delivery__deployment_changes') }}

),

deployment_failures as (

    select * from {{ ref('int_delivery__deployment_failures') }}

),

deployment_rework as (

    select * from {{ ref('int_delivery__deployment_rework') }}

),

incidents as (

    select * from {{ ref('int_delivery__incident_links') }}

),

changes as (

    select * from {{ ref('int_delivery__changes') }}

),

work_items as (

    select
        work_item_key,
        -- work items carry no repository: their own team, else `unassigned`
        {{ delivery_team('team') }} as team,
        resolved_at
    from {{ ref('stg_delivery__work_items') }}

),

grid as (

    select * from {{ ref('int_delivery__team_months') }}

),

deployment_failed as (

    select
        deployments.deployment_id,
        deployments.team,
        cast({{ dbt.date_trunc('month', 'deployments.deployed_at') }} as date) as month_start,
        cast({{ dbt.date_trunc('day', 'deployments.deployed_at') }} as date) as deployed_date,
        max(case when deployment_failures.incident_id is not null then 1 else 0 end) as is_failed,
        max(case when deployment_rework.deployment_id is not null then 1 else 0 end) as is_rework
    from deployments
    left join deployment_failures
        on deployments.deployment_id = deployment_failures.deployment_id
    left join deployment_rework
        on deployments.deployment_id = deployment_rework.deployment_id
    group by
        deployments.deployment_id,
        deployments.team,
        cast({{ dbt.date_trunc('month', 'deployments.deployed_at') }} as date),
        cast({{ dbt.date_trunc('day', 'deployments.deployed_at') }} as date)

),

deployment_stats as (

    select
        team,
        month_start,
        count(*) as deployment_count,
        count(distinct deployed_date) as deployment_day_count,
        sum(is_failed) as failed_deployment_count,
        sum(is_rework) as rework_deployment_count
    from deployment_failed
    group by team, month_start

),

lead_time_stats as (

    select
        team,
        cast({{ dbt.date_trunc('month', 'deployed_at') }} as date) as month_start,
        count(*) as deployed_change_count,
        sum(case when is_positive_lead_time then 1 else 0 end) as lead_time_change_count,
        {{ delivery_median_lead_time_minutes() }} as median_lead_time_minutes
    from deployment_changes
    group by team, cast({{ dbt.date_trunc('month', 'deployed_at') }} as date)

),

restore_stats as (

    select
        team,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as month_start,
        count(*) as incident_count,
        sum(case when time_to_restore_hours is not null then 1 else 0 end) as restored_incident_count,
        sum(case when is_security_incident then 1 else 0 end) as security_incident_count,
        cast(
            percentile_cont(0.5) within group (order by time_to_restore_hours) as {{ double_type() }}
        ) as median_time_to_restore_hours
    from incidents
    group by team, cast({{ dbt.date_trunc('month', 'created_at') }} as date)

),

approval_stats as (

    select
        team,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as month_start,
        count(*) as change_count,
        sum(case when approved_at > created_at then 1 else 0 end) as approved_change_count,
        cast(
            percentile_cont(0.5) within group (
                order by {{ elapsed_hours('created_at', 'approved_at') }}
            ) as {{ double_type() }}
        ) as median_approval_cycle_hours
    from changes
    group by team, cast({{ dbt.date_trunc('month', 'created_at') }} as date)

),

throughput_stats as (

    select
        team,
        cast({{ dbt.date_trunc('month', 'resolved_at') }} as date) as month_start,
        count(*) as work_items_resolved_count
    from work_items
    where resolved_at is not null
    group by team, cast({{ dbt.date_trunc('month', 'resolved_at') }} as date)

),

joined as (

    select
        grid.team,
        grid.month_start,
        grid.has_delivery_pipeline,
        -- days of the month up to the as-of date
        {{ dbt.datediff('grid.month_start', 'grid.period_end', 'day') }} as days_covered,  -- noqa: LT05
        coalesce(deployment_stats.deployment_count, 0) as deployment_count,
        coalesce(deployment_stats.deployment_day_count, 0) as deployment_day_count,
        coalesce(deployment_stats.failed_deployment_count, 0) as failed_deployment_count,
        coalesce(deployment_stats.rework_deployment_count, 0) as rework_deployment_count,
        coalesce(lead_time_stats.deployed_change_count, 0) as deployed_change_count,
        coalesce(lead_time_stats.lead_time_change_count, 0) as lead_time_change_count,
        lead_time_stats.median_lead_time_minutes,
        coalesce(restore_stats.incident_count, 0) as incident_count,
        coalesce(restore_stats.restored_incident_count, 0) as restored_incident_count,
        coalesce(restore_stats.security_incident_count, 0) as security_incident_count,
        restore_stats.median_time_to_restore_hours,
        coalesce(approval_stats.change_count, 0) as change_count,
        coalesce(approval_stats.approved_change_count, 0) as approved_change_count,
        approval_stats.median_approval_cycle_hours,
        coalesce(throughput_stats.work_items_resolved_count, 0) as work_items_resolved_count
    from grid
    left join deployment_stats
        on grid.team = deployment_stats.team and grid.month_start = deployment_stats.month_start
    left join lead_time_stats
        on grid.team = lead_time_stats.team and grid.month_start = lead_time_stats.month_start
    left join restore_stats
        on grid.team = restore_stats.team and grid.month_start = restore_stats.month_start
    left join approval_stats
        on grid.team = approval_stats.team and grid.month_start = approval_stats.month_start
    left join throughput_stats
        on grid.team = throughput_stats.team and grid.month_start = throughput_stats.month_start

),

final as (

    select
        {{ surrogate_key(['team', 'month_start']) }} as delivery_performance_key,
        team,
        month_start,
        has_delivery_pipeline,
        cast(days_covered as bigint) as days_covered,
        cast(deployment_count as bigint) as deployment_count,
        cast(deployment_day_count as bigint) as deployment_day_count,
        case
            when has_delivery_pipeline and days_covered > 0
                then cast(deployment_count as {{ double_type() }}) * 7.0 / days_covered
        end as deployments_per_week,
        cast(deployed_change_count as bigint) as deployed_change_count,
        cast(lead_time_change_count as bigint) as lead_time_change_count,
        median_lead_time_minutes,
        cast(failed_deployment_count as bigint) as failed_deployment_count,
        case
            when deployment_count > 0
                then cast(failed_deployment_count as {{ double_type() }}) / deployment_count
        end as change_failure_rate,
        cast(incident_count as bigint) as incident_count,
        cast(restored_incident_count as bigint) as restored_incident_count,
        cast(security_incident_count as bigint) as security_incident_count,
        median_time_to_restore_hours,
        cast(change_count as bigint) as change_count,
        cast(approved_change_count as bigint) as approved_change_count,
        median_approval_cycle_hours,
        cast(work_items_resolved_count as bigint) as work_items_resolved_count,
        cast(rework_deployment_count as bigint) as rework_deployment_count,
        case
            when deployment_count > 0
                then cast(rework_deployment_count as {{ double_type() }}) / deployment_count
        end as deployment_rework_rate
    from joined

)

select * from final
