-- AI usage events attributed to an identity and an AI system, one row per source record: a LiteLLM request
-- or an OpenAI usage bucket result. Nothing is dropped.
--   identity:  the usage key (LiteLLM key hash, OpenAI api key id) through int_identity__keys, else the
--              user (LiteLLM user email, OpenAI user id), else the explicit member 'unattributed'.
--   AI system: the LiteLLM request tag -> registered or shadow system; the OpenAI project -> registered or
--              shadow system; else the identity's ai_system_id; else 'ais-unattributed'.
--   cost:      LiteLLM `spend` as exported (USD); OpenAI tokens x seed model_prices (USD), exact decimals.
-- Incremental (macros/increments.sql): a night attributes the staging rows its new files brought; a change of
-- identity keys, AI system markers or prices re-attributes everything.

{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ usage_attributed_increment_prepare() }}",
    post_hook="{{ usage_attributed_increment_finish() }}"
) }}

with

litellm as (

    select * from {{ increment_rows(ref('stg_usage__litellm_spend_logs'), ['_source_file', '_file_sha256', '_line'],
                                    'usage/litellm_spend_logs') }}

),

openai as (

    select * from {{ increment_rows(ref('stg_usage__openai_usage'), ['_source_file', '_file_sha256', '_line'],
                                    'usage/openai_usage') }}

),

identity_keys as (

    select * from {{ ref('int_identity__keys') }}

),

markers as (

    select * from {{ ref('int_ai_system__markers') }}

),

prices as (

    select * from {{ ref('model_prices') }}

),

-- one AI system per distinct tag list: a registered system's tag first, then a shadow one
tag_lists as (

    select distinct request_tags
    from litellm
    where request_tags is not null

),

tag_list_items as (

    select
        request_tags,
        {{ spine_explode_list('request_tags') }} as tag
    from tag_lists

),

tag_list_systems_ranked as (

    select
        tag_list_items.request_tags,
        markers.ai_system_id,
        row_number() over (
            partition by tag_list_items.request_tags
            order by case when markers.system_type = 'registered' then 0 else 1 end, markers.ai_system_id
        ) as system_rank
    from tag_list_items
    inner join markers
        on
            markers.marker_type = 'litellm_tag'
            and tag_list_items.tag = markers.marker_value

),

tag_list_systems as (

    select * from tag_list_systems_ranked
    where system_rank = 1

),

litellm_events as (

    select
        'usage/litellm_spend_logs' as source_dataset,
        litellm.request_id as event_id,
        litellm.started_at as event_at,
        case
            when litellm.api_key_hash is not null then 'litellm_key_hash'
            when litellm.litellm_user_id like '%@%' then 'email'
            else 'litellm_user'
        end as key_type,
        coalesce(litellm.api_key_hash, lower(trim(litellm.litellm_user_id))) as key_value,
        tag_list_systems.ai_system_id as marker_ai_system_id,
        case when tag_list_systems.ai_system_id is not null then 'request_tag' end as marker_method,
        coalesce(litellm.model_group, litellm.model_name) as model_name,
        litellm.llm_provider as provider,
        cast(1 as bigint) as request_count,
        cast(coalesce(litellm.prompt_tokens, 0) as bigint) as input_tokens,
        cast(coalesce(litellm.completion_tokens, 0) as bigint) as output_tokens,
        cast(0 as bigint) as cached_input_tokens,
        cast(litellm.spend_usd as {{ money_type() }}) as cost_amount,
        'USD' as cost_currency,
        litellm._source_file,
        litellm._file_sha256,
        litellm._line
    from litellm
    left join tag_list_systems
        on litellm.request_tags = tag_list_systems.request_tags

),

openai_events as (

    select
        'usage/openai_usage' as source_dataset,
        openai.usage_row_id as event_id,
        openai.bucket_start_at as event_at,
        case when openai.api_key_id is not null then 'openai_api_key_id' else 'openai_user_id' end as key_type,
        coalesce(openai.api_key_id, openai.openai_user_id) as key_value,
        project_markers.ai_system_id as marker_ai_system_id,
        case when project_markers.ai_system_id is not null then 'openai_project' end as marker_method,
        openai.model_name,
        'openai' as provider,
        cast(openai.model_request_count as bigint) as request_count,
        cast(openai.input_tokens as bigint) as input_tokens,
        cast(openai.output_tokens as bigint) as output_tokens,
        cast(coalesce(openai.input_cached_tokens, 0) as bigint) as cached_input_tokens,
        cast({{ spine_openai_usage_cost('openai', 'prices') }} as {{ money_type() }}) as cost_amount,
        coalesce(prices.currency, 'USD') as cost_currency,
        openai._source_file,
        openai._file_sha256,
        openai._line
    from openai
    left join markers as project_markers
        on
            project_markers.marker_type = 'openai_project'
            and openai.project_id = project_markers.marker_value
    left join prices
        on
            prices.provider = 'openai'
            and openai.model_name = prices.model

),

events as (

    select * from litellm_events
    union all
    select * from openai_events

),

-- an identity's ai_system_id counts only when it names a registered system
identity_systems as (

    select distinct ai_system_id
    from markers
    where system_type = 'registered'

),

system_types as (

    select distinct
        ai_system_id,
        system_type
    from markers

),

attributed as (

    select
        events.source_dataset,
        events.event_id,
        events.event_at,
        cast(events.event_at as date) as usage_date,
        coalesce(identity_keys.identity_id, 'unattributed') as identity_id,
        coalesce(identity_keys.is_in_inventory, false) as is_identity_known,
        identity_keys.owner_team,
        coalesce(events.marker_ai_system_id, identity_systems.ai_system_id, 'ais-unattributed') as ai_system_id,
        case
            when events.marker_ai_system_id is not null then events.marker_method
            when identity_systems.ai_system_id is not null then 'identity'
            else 'unattributed'
        end as attribution_method,
        events.model_name,
        events.provider,
        events.request_count,
        events.input_tokens,
        events.output_tokens,
        events.cached_input_tokens,
        events.cost_amount,
        events.cost_currency,
        case when events.cost_currency = 'USD' then events.cost_amount end as cost_usd,
        events._source_file,
        events._file_sha256,
        events._line
    from events
    left join identity_keys
        on
            events.key_type = identity_keys.key_type
            and events.key_value = identity_keys.key_value
    left join identity_systems
        on identity_keys.ai_system_id = identity_systems.ai_system_id

),

final as (

    select
        attributed.*,
        coalesce(system_types.system_type, 'unattributed') as system_type
    from attributed
    left join system_types
        on attributed.ai_system_id = system_types.ai_system_id

)

select * from final
