-- Cost separation, step 2 (docs/METHOD.md section 2): every classified charge line is attributed to
-- exactly one AI system (registered or shadow, `dim_ai_system`) or to "not AI" (NULL ai_system_id). The first
-- rule that finds a system decides (attribution_rule):
--   1 ai_system_tag          Tags.ai_system names a system of dim_ai_system
--   2 saas_licence_resource  ResourceId is a SaaS licence_id whose licence names an AI system (seat
--                            subscriptions billed through FOCUS: the same money as the SaaS export, counted
--                            here once, never again from the export)
--   3 openai_project_marker  Tags.openai_project / x_ProjectId is a usage marker of a system (shadow OpenAI
--                            projects: the usage of an unsanctioned project is billed untagged)
--   4 iam_principal          the line's IAM principal (CUR 2.0 `line_item_iam_principal`: Bedrock charges by
--                            caller) is an identity key (int_identity__keys: an IAM user, a role) of an identity
--                            whose ai_system_id is a system; caller_identity_id names the caller either way
--   5 gateway_usage_evidence Tags.cost_center is the AI gateway (var ai_gateway_cost_center) with no system
--                            tag: the line goes, whole, to the shadow system with the largest LiteLLM usage
--                            cost (fct_ai_usage) for the model the charge names, in the billing month
--                            (ties: lowest ai_system_id). One line, one system: the line is never split.
-- Lines no rule attributes are AI spend without a system (attribution_rule `ai_unattributed`) when they carry
-- any AI evidence (an unknown ai_system tag, the gateway cost centre, an OpenAI project, or FOCUS
-- ServiceCategory `AI and Machine Learning`), else `not_ai`. The share of AI spend left without a system is
-- the release gate tests/finance/assert_cost_separation_unclassified_ai_spend.sql.

with

lines as (

    select * from {{ ref('int_cost_lines__classified') }}

),

systems as (

    select
        ai_system_id,
        usage_markers
    from {{ ref('dim_ai_system') }}
    where system_type in ('registered', 'shadow')

),

markers as (

    select
        ai_system_id,
        {{ spine_explode_list('usage_markers') }} as usage_marker
    from systems
    where usage_markers is not null

),

project_markers as (

    select
        usage_marker,
        min(ai_system_id) as ai_system_id
    from markers
    group by usage_marker

),

identity_keys as (

    select
        key_type,
        key_value,
        identity_id,
        ai_system_id
    from {{ ref('int_identity__keys') }}
    where key_type in ('aws_iam_user', 'aws_iam_role', 'aws_caller_arn')

),

licences as (

    select
        licence_id,
        min(ai_system_id) as ai_system_id
    from {{ ref('stg_billing__saas_licences') }}
    where ai_system_id is not null
    group by licence_id

),

gateway_usage as (

    select
        usage.ai_system_id,
        usage.model_name,
        cast({{ dbt.date_trunc('month', 'usage.usage_date') }} as date) as usage_month,
        sum(usage.cost_amount) as usage_cost
    from {{ ref('fct_ai_usage') }} as usage
    where
        usage.source_dataset = 'usage/litellm_spend_logs'
        and usage.system_type = 'shadow'
        and usage.model_name is not null
    group by
        usage.ai_system_id,
        usage.model_name,
        cast({{ dbt.date_trunc('month', 'usage.usage_date') }} as date)

),

gateway_candidates as (

    select
        lines.cost_line_id,
        gateway_usage.ai_system_id,
        row_number() over (
            partition by lines.cost_line_id
            order by gateway_usage.usage_cost desc, gateway_usage.ai_system_id asc
        ) as candidate_rank
    from lines
    inner join gateway_usage
        on
            lines.billing_month = gateway_usage.usage_month
            and ' ' || lower(lines.charge_description) || ' ' like '% ' || lower(gateway_usage.model_name) || ' %'
    where
        lines.ai_system_tag is null
        and lines.cost_center_tag = '{{ var("ai_gateway_cost_center") }}'

),

matched as (

    select
        lines.*,
        tagged.ai_system_id as tag_system_id,
        licences.ai_system_id as licence_system_id,
        project.ai_system_id as project_system_id,
        caller.identity_id as caller_identity_id,
        caller_system.ai_system_id as caller_system_id,
        gateway.ai_system_id as gateway_system_id
    from lines
    left join systems as tagged
        on lines.ai_system_tag = tagged.ai_system_id
    left join licences
        on lines.resource_id = licences.licence_id
    left join project_markers as project
        on lines.openai_project_tag = project.usage_marker
    left join identity_keys as caller
        on
            {{ aws_iam_caller_key_type('lines.iam_principal') }} = caller.key_type
            and {{ aws_iam_caller_key('lines.iam_principal') }} = caller.key_value
    left join systems as caller_system
        on caller.ai_system_id = caller_system.ai_system_id
    left join gateway_candidates as gateway
        on
            lines.cost_line_id = gateway.cost_line_id
            and gateway.candidate_rank = 1

),

attributed as (

    select
        matched.*,
        coalesce(
            matched.tag_system_id,
            matched.licence_system_id,
            matched.project_system_id,
            matched.caller_system_id,
            matched.gateway_system_id
        ) as ai_system_id,
        case
            when matched.tag_system_id is not null then 'ai_system_tag'
            when matched.licence_system_id is not null then 'saas_licence_resource'
            when matched.project_system_id is not null then 'openai_project_marker'
            when matched.caller_system_id is not null then 'iam_principal'
            when matched.gateway_system_id is not null then 'gateway_usage_evidence'
            when
                matched.ai_system_tag is not null
                or matched.cost_center_tag = '{{ var("ai_gateway_cost_center") }}'
                or matched.openai_project_tag is not null
                or matched.iam_principal is not null and matched.service_name = 'Amazon Bedrock'
                or matched.service_category = 'AI and Machine Learning'
                then 'ai_unattributed'
            else 'not_ai'
        end as attribution_rule
    from matched

)

select
    attributed.*,
    attributed.attribution_rule <> 'not_ai' as is_ai_spend
from attributed
