-- Toil hours saved (docs/METHOD.md section 3, capacity, not cash): for each team that adopted a
-- registered AI system, the team's monthly toil hours (work items of type `toil`, effort_hours, by the month
-- they were created) before adoption minus its toil hours in each month after.
-- - A team adopted a system at the later of the system's adoption date and the team's first usage of it
--   (fct_ai_usage, owner team of the identity); the system's owner team adopted it on its adoption date.
-- - One claim per team: a team's saving belongs to the first system it adopted (earliest date, then lowest
--   ai_system_id), so hours are never claimed twice by two systems.
-- - Baseline: the team's toil hours per month over the months before the adoption month (months that have any
--   work item in the export); the adoption month itself is a transition month, in neither baseline nor after.
-- One row per AI system, team and month after adoption, with the work items behind each figure.

with

toil as (

    select
        team,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as work_month,
        coalesce(effort_hours, 0) as effort_hours
    from {{ ref('stg_delivery__work_items') }}
    where lower(trim(work_item_type)) = 'toil' and team is not null

),

toil_monthly as (

    select
        team,
        work_month,
        sum(effort_hours) as toil_hours,
        count(*) as item_count
    from toil
    group by
        team,
        work_month

),

work_months as (

    select distinct cast({{ dbt.date_trunc('month', 'created_at') }} as date) as work_month
    from {{ ref('stg_delivery__work_items') }}
    where created_at is not null

),

systems as (

    select
        ai_system_id,
        owner_team,
        adoption_date
    from {{ ref('dim_ai_system') }}
    where system_type = 'registered' and adoption_date is not null

),

team_adoptions as (

    select
        systems.ai_system_id,
        systems.owner_team as team,
        systems.adoption_date as team_adoption_date
    from systems
    where systems.owner_team is not null

    union all

    select
        usage.ai_system_id,
        usage.owner_team as team,
        case
            when min(usage.usage_date) > min(systems.adoption_date) then min(usage.usage_date)
            else min(systems.adoption_date)
        end as team_adoption_date
    from {{ ref('fct_ai_usage') }} as usage
    inner join systems
        on usage.ai_system_id = systems.ai_system_id
    where usage.owner_team is not null
    group by
        usage.ai_system_id,
        usage.owner_team

),

first_adoption as (

    select
        ai_system_id,
        team,
        cast({{ dbt.date_trunc('month', 'team_adoption_date') }} as date) as adoption_month,
        row_number() over (partition by team order by team_adoption_date asc, ai_system_id asc) as adoption_rank
    from (
        select
            ai_system_id,
            team,
            min(team_adoption_date) as team_adoption_date
        from team_adoptions
        group by
            ai_system_id,
            team
    ) as adopted

),

baseline as (

    select
        first_adoption.ai_system_id,
        first_adoption.team,
        first_adoption.adoption_month,
        count(distinct work_months.work_month) as baseline_month_count,
        coalesce(sum(toil_before.toil_hours), 0) as baseline_total_hours,
        coalesce(sum(toil_before.item_count), 0) as baseline_item_count
    from first_adoption
    inner join work_months
        on first_adoption.adoption_month > work_months.work_month
    left join toil_monthly as toil_before
        on
            first_adoption.team = toil_before.team
            and work_months.work_month = toil_before.work_month
    where first_adoption.adoption_rank = 1
    group by
        first_adoption.ai_system_id,
        first_adoption.team,
        first_adoption.adoption_month

),

after_adoption as (

    select
        baseline.ai_system_id,
        baseline.team,
        baseline.adoption_month,
        work_months.work_month,
        baseline.baseline_month_count,
        baseline.baseline_item_count,
        {{ money_divide('baseline.baseline_total_hours', 'baseline.baseline_month_count') }}
            as baseline_hours_per_month,
        count(toil.team) as toil_item_count,
        cast(coalesce(sum(toil.effort_hours), 0) as {{ money_type() }}) as toil_hours
    from baseline
    inner join work_months
        on
            baseline.adoption_month < work_months.work_month
            and work_months.work_month <= cast({{ dbt.date_trunc('month', spine_as_of_date()) }} as date)
    left join toil
        on
            baseline.team = toil.team
            and work_months.work_month = toil.work_month
    where baseline.baseline_month_count > 0
    group by
        baseline.ai_system_id,
        baseline.team,
        baseline.adoption_month,
        work_months.work_month,
        baseline.baseline_month_count,
        baseline.baseline_item_count,
        baseline.baseline_total_hours

)

select
    ai_system_id,
    team,
    adoption_month,
    work_month,
    baseline_month_count,
    baseline_item_count,
    baseline_hours_per_month,
    toil_item_count,
    toil_hours,
    cast(baseline_hours_per_month - toil_hours as {{ money_type() }}) as toil_hours_saved
from after_adoption
