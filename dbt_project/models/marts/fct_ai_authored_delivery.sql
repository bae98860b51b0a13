-- Changes AI coding tools are credited with beside the other changes of the same team and month: a labelled,
-- descriptive comparison (not a causal claim; the difference in differences of fct_productivity_roi is the
-- ledger's estimate of an effect). A change is AI-credited when its author is an agent's login (seed
-- ai_author_logins: GitHub Copilot's coding agent, Claude Code's GitHub app, ...) or its commit message has a
-- Co-authored-by trailer of an AI tool (seed ai_co_authors; int_delivery__ai_credited_changes). Per team x
-- deploy month x author group x credit: the changes production deployments shipped, their median lead time
-- (positive lead times, as Four Keys), the changes shipped by a deployment that caused an incident and that
-- share (the change failure rate counted by change), each group beside the people's figures of the same team
-- and month.

with

deployment_changes as (

    select * from {{ ref('int_delivery__deployment_changes') }}

),

deployment_failures as (

    select * from {{ ref('int_delivery__deployment_failures') }}

),

credited as (

    select * from {{ ref('int_delivery__ai_credited_changes') }}

),

failed_deployments as (

    select distinct deployment_id
    from deployment_failures

),

shipped as (

    select
        deployment_changes.team,
        cast({{ dbt.date_trunc('month', 'deployment_changes.deployed_at') }} as date) as deploy_month,
        coalesce(credited.ai_product, 'people') as authored_by,
        coalesce(credited.ai_credit, 'none') as ai_credit,
        deployment_changes.change_id,
        deployment_changes.lead_time_minutes,
        deployment_changes.is_positive_lead_time,
        failed_deployments.deployment_id is not null as is_failed
    from deployment_changes
    left join credited
        on deployment_changes.change_id = credited.change_id
    left join failed_deployments
        on deployment_changes.deployment_id = failed_deployments.deployment_id

),

groups as (

    select
        team,
        deploy_month,
        authored_by,
        ai_credit,
        count(*) as deployed_change_count,
        sum(case when is_positive_lead_time then 1 else 0 end) as lead_time_change_count,
        {{ delivery_median_lead_time_minutes() }} as median_lead_time_minutes,
        sum(case when is_failed then 1 else 0 end) as failed_change_count
    from shipped
    group by team, deploy_month, authored_by, ai_credit

),

final as (

    select
        {{ surrogate_key(['groups.team', 'groups.deploy_month', 'groups.authored_by', 'groups.ai_credit']) }}
            as authored_delivery_key,
        groups.team,
        groups.deploy_month,
        groups.authored_by,
        groups.ai_credit,
        groups.authored_by <> 'people' as is_ai_authored,
        cast(groups.deployed_change_count as bigint) as deployed_change_count,
        cast(groups.lead_time_change_count as bigint) as lead_time_change_count,
        groups.median_lead_time_minutes,
        cast(groups.failed_change_count as bigint) as failed_change_count,
        cast(groups.failed_change_count as {{ double_type() }}) / groups.deployed_change_count
            as change_failure_rate,
        cast(people.deployed_change_count as bigint) as people_deployed_change_count,
        people.median_lead_time_minutes as people_median_lead_time_minutes,
        cast(people.failed_change_count as {{ double_type() }}) / people.deployed_change_count
            as people_change_failure_rate,
        'descriptive comparison of the same team and month, not a causal estimate' as comparison_note
    from groups
    left join groups as people
        on
            groups.team = people.team
            and groups.deploy_month = people.deploy_month
            and people.authored_by = 'people'

)

select * from final
