-- AI usage events attributed to an identity and an AI system, one row per source record: a LiteLLM request,
-- an OpenAI or Anthropic usage bucket result, a Bedrock invocation, a Cursor usage event, a Claude Code record
-- (actor, day, terminal), a Cursor or Copilot seat day. Nothing is dropped.
--   identity:  the record's key (LiteLLM key hash, OpenAI and Anthropic API key ids, an email, a GitHub login,
--              a Bedrock caller's IAM user or role, a Claude Code API key name) through int_identity__keys,
--              else the user (LiteLLM user email, OpenAI user id), else the explicit member 'unattributed'.
--   AI system: the LiteLLM request tag, the OpenAI project, the Anthropic workspace or the seat product
--              (macros/usage_events.sql) -> registered or shadow system; else the identity's ai_system_id;
--              else 'ais-unattributed'.
--   cost:      LiteLLM `spend`; tokens x seed model_prices; OpenAI's other units x seed unit_prices;
--              Cursor's charge; ... (`priced_by` says which).
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

-- the sources whose AI system marker is one value (macros/usage_events.sql)
marked_sources as (

    {{ usage_events_openai('openai', 'prices') }}
    union all
    {{ usage_events_ai_tools(usage_ai_tool_increment_rows(), 'prices') }}

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

    {{ usage_events_litellm('litellm', 'tag_list_systems') }}

),

marked_events as (

    select
        marked_sources.source_dataset,
        marked_sources.event_id,
        marked_sources.event_at,
        marked_sources.key_type,
        marked_sources.key_value,
        markers.ai_system_id as marker_ai_system_id,
        case when markers.ai_system_id is not null then markers.marker_type end as marker_method,
        marked_sources.model_name,
        marked_sources.provider,
        marked_sources.request_count,
        marked_sources.input_tokens,
        marked_sources.output_tokens,
        marked_sources.cached_input_tokens,
        marked_sources.cache_write_tokens,
        marked_sources.reasoning_tokens,
        marked_sources.usage_unit,
        marked_sources.usage_quantity,
        marked_sources.is_seat_day,
        marked_sources.cost_amount,
        marked_sources.cost_currency,
        marked_sources.priced_by,
        marked_sources._source_file,
        marked_sources._file_sha256,
        marked_sources._line
    from marked_sources
    left join markers
        on
            marked_sources.marker_type = markers.marker_type
            and marked_sources.marker_value = markers.marker_value

),

events as (

    select * from litellm_events
    union all
    select * from marked_events

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
        events.cache_write_tokens,
        events.reasoning_tokens,
        events.usage_unit,
        events.usage_quantity,
        events.is_seat_day,
        events.cost_amount,
        events.cost_currency,
        case when events.cost_currency = 'USD' then events.cost_amount end as cost_usd,
        events.priced_by,
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
