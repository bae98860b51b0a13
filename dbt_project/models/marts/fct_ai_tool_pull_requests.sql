-- The pull requests and commits AI coding tools report they made or reviewed, per AI product x scope x month:
-- GitHub Copilot's organization and enterprise day totals (pull requests created, reviewed and merged in all,
-- and by Copilot: created by its coding agent, reviewed by Copilot code review), and Claude Code's analytics
-- per actor and day (the commits and pull requests Claude Code made), by the actor's team (the identity of its
-- email or API key name). The vendors' own counts name no pull request, so they stand beside
-- fct_ai_authored_delivery (the changes themselves, with their lead times), not in it. An organization's and
-- its enterprise's rows both count the same pull requests: never add them up.

with

copilot as (

    select * from {{ ref('stg_ai__github_copilot_org_usage') }}

),

claude_code as (

    select * from {{ ref('stg_ai__claude_code_usage') }}

),

identity_keys as (

    select * from {{ ref('int_identity__keys') }}

),

copilot_months as (

    select
        'github_copilot' as ai_product,
        case when organization_id is not null then 'organization' else 'enterprise' end as scope_type,
        coalesce(organization_id, enterprise_id) as scope,
        cast({{ dbt.date_trunc('month', 'usage_date') }} as date) as activity_month,
        count(*) as report_count,
        sum(pull_requests_created) as pull_requests_created,
        sum(pull_requests_created_by_copilot) as pull_requests_by_ai,
        sum(pull_requests_reviewed) as pull_requests_reviewed,
        sum(pull_requests_reviewed_by_copilot) as pull_requests_reviewed_by_ai,
        sum(pull_requests_merged) as pull_requests_merged,
        sum(pull_requests_merged_created_by_copilot) as pull_requests_merged_by_ai,
        cast(null as bigint) as commits_by_ai
    from copilot
    group by
        case when organization_id is not null then 'organization' else 'enterprise' end,
        coalesce(organization_id, enterprise_id),
        cast({{ dbt.date_trunc('month', 'usage_date') }} as date)

),

claude_code_actors as (

    select
        coalesce(identity_keys.owner_team, 'unassigned') as team,
        cast({{ dbt.date_trunc('month', 'claude_code.activity_date') }} as date) as activity_month,
        claude_code.pull_request_count,
        claude_code.commit_count
    from claude_code
    left join identity_keys
        on
            identity_keys.key_type = case when claude_code.actor_email is not null then 'email' else 'api_key_ref' end
            and coalesce(claude_code.actor_email, claude_code.actor_api_key_name) = identity_keys.key_value

),

claude_code_months as (

    select
        'claude_code' as ai_product,
        'team' as scope_type,
        team as scope,
        activity_month,
        count(*) as report_count,
        cast(null as bigint) as pull_requests_created,
        sum(pull_request_count) as pull_requests_by_ai,
        cast(null as bigint) as pull_requests_reviewed,
        cast(null as bigint) as pull_requests_reviewed_by_ai,
        cast(null as bigint) as pull_requests_merged,
        cast(null as bigint) as pull_requests_merged_by_ai,
        sum(commit_count) as commits_by_ai
    from claude_code_actors
    group by team, activity_month

),

months as (

    select * from copilot_months
    union all
    select * from claude_code_months

),

final as (

    select
        {{ surrogate_key(['ai_product', 'scope_type', 'scope', 'activity_month']) }} as tool_pull_request_key,
        ai_product,
        scope_type,
        scope,
        activity_month,
        cast(report_count as bigint) as report_count,
        cast(pull_requests_created as bigint) as pull_requests_created,
        cast(pull_requests_by_ai as bigint) as pull_requests_by_ai,
        cast(pull_requests_reviewed as bigint) as pull_requests_reviewed,
        cast(pull_requests_reviewed_by_ai as bigint) as pull_requests_reviewed_by_ai,
        cast(pull_requests_merged as bigint) as pull_requests_merged,
        cast(pull_requests_merged_by_ai as bigint) as pull_requests_merged_by_ai,
        cast(commits_by_ai as bigint) as commits_by_ai,
        cast(pull_requests_by_ai as {{ double_type() }}) / nullif(pull_requests_created, 0) as ai_created_share,
        cast(pull_requests_reviewed_by_ai as {{ double_type() }}) / nullif(pull_requests_reviewed, 0)
            as ai_reviewed_share
    from months

)

select * from final
