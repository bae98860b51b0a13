{#
    The AI tool usage records as usage events, one select per source (int_usage__attributed unions them and
    attributes them; int_usage__costs_totalled totals the same records without any identity or AI system join,
    which the reconciliation gates hold fct_ai_usage to). Every select gives the same columns:

      source_dataset, event_id (the staging natural key trace follows), event_at, key_type / key_value (the
      identity key, int_identity__keys), marker_type / marker_value (the AI system marker,
      int_ai_system__markers; NULL: the identity's system), model_name, provider, request_count, the four token
      classes (input_tokens: every input token, cached and cache writes included; cached_input_tokens: cache
      reads; cache_write_tokens; output_tokens; reasoning_tokens where the source reports them apart, else
      NULL), usage_unit / usage_quantity (what the record counts in its
      own unit: tokens, images, characters, audio seconds, vector store bytes, sessions, tool calls, seat days),
      is_seat_day (a day a seat was used), cost_amount / cost_currency and priced_by (what set the cost), and
      the provenance _source_file, _file_sha256, _line.

    priced_by: `source_export` (the export's own cost: LiteLLM spend), `model_prices` (tokens x seed
    model_prices), `unit_prices` (OpenAI's other units x seed unit_prices), `vendor_charge` (what the vendor charged for the call: Cursor), `vendor_estimate` (the
    vendor's estimate: Claude Code on a subscription), `seat_licence` (no usage price: the seat is the cost,
    fct_ai_seats and the efficiency ledger), `anthropic_usage` (Claude Code through the API: its tokens and cost
    are in the Anthropic usage report already, counted there once).
#}


{#
    bedrock_base_model_id(expr): the foundation model of a Bedrock model id or inference profile ARN: the
    text after the last '/', without a cross-Region prefix (`us.anthropic.claude-...` -> `anthropic.claude-...`).
#}
{% macro bedrock_base_model_id(expr) -%}
    coalesce(
        {{ ai_roi_ledger.spine_regexp_extract(ai_roi_ledger.spine_regexp_extract(expr, '([^/]+)$'),
                                              '^[a-z-]+[.]([a-z]+[.].+)$') }},
        {{ ai_roi_ledger.spine_regexp_extract(expr, '([^/]+)$') }}
    )
{%- endmacro %}


{#
    spine_anthropic_usage_cost(usage, prices, web_search_price): the cost of one Anthropic Messages usage record
    (`stg_ai__anthropic_usage` as `usage`, its `model_prices` row as `prices`): uncached input, cache reads,
    5-minute and 1-hour cache writes and output tokens, each at its price, and web searches at
    `web_search_price` each; NULL when the model has no price. The attribution and the reconciliation alike.
#}
{% macro spine_anthropic_usage_cost(usage, prices, web_search_price) -%}
    {{ ai_roi_ledger.spine_token_cost(usage ~ '.uncached_input_tokens', prices ~ '.input_price_per_1m') }}
    + {{ ai_roi_ledger.spine_token_cost(usage ~ '.cache_read_input_tokens', prices ~ '.cached_input_price_per_1m') }}
    + {{ ai_roi_ledger.spine_token_cost(
        usage ~ '.cache_write_input_tokens - ' ~ usage ~ '.cache_write_1h_input_tokens',
        prices ~ '.cache_write_price_per_1m') }}
    + {{ ai_roi_ledger.spine_token_cost(usage ~ '.cache_write_1h_input_tokens', prices ~ '.cache_write_1h_price_per_1m') }}
    + {{ ai_roi_ledger.spine_token_cost(usage ~ '.output_tokens', prices ~ '.output_price_per_1m') }}
    + cast({{ usage }}.web_search_requests * {{ web_search_price }} as {{ ai_roi_ledger.money_type() }})
{%- endmacro %}


{#
    spine_bedrock_usage_cost(usage, prices): the cost of one Bedrock invocation (`stg_ai__bedrock_invocations`):
    input, cache read, cache write and output tokens at the base model's seed price; NULL when unpriced.
#}
{% macro spine_bedrock_usage_cost(usage, prices) -%}
    {{ ai_roi_ledger.spine_token_cost(usage ~ '.input_tokens', prices ~ '.input_price_per_1m') }}
    + {{ ai_roi_ledger.spine_token_cost(usage ~ '.cache_read_input_tokens', prices ~ '.cached_input_price_per_1m') }}
    + {{ ai_roi_ledger.spine_token_cost(usage ~ '.cache_write_input_tokens', prices ~ '.cache_write_price_per_1m') }}
    + {{ ai_roi_ledger.spine_token_cost(usage ~ '.output_tokens', prices ~ '.output_price_per_1m') }}
{%- endmacro %}


{# How many models of one Claude Code record's model_breakdown are read (a singular test refuses more). #}
{% macro claude_code_model_slots() -%}
    {{ return(6) }}
{%- endmacro %}


{#
    claude_code_breakdown_total(column, path, type): the sum over the model_breakdown items of one numeric
    field (e.g. 'tokens.input'), 0 for none.
#}
{% macro claude_code_breakdown_total(column, path, type) -%}
    (
    {%- for i in range(claude_code_model_slots()) %}
        {{ '+ ' if not loop.first }}coalesce(cast({{ ai_roi_ledger.json_get_text(column, i ~ '.' ~ path) }} as {{ type }}), 0)
    {%- endfor %}
    )
{%- endmacro %}


{#
    LiteLLM spend logs: a request per event, its key hash (else its user) its key; its AI system is the one
    `tag_systems` (request_tags, ai_system_id) gives its tag list, so it names marker_ai_system_id and
    marker_method itself (the other sources name a marker int_usage__attributed resolves).
#}
{% macro usage_events_litellm(litellm, tag_systems) -%}
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
        {{ tag_systems }}.ai_system_id as marker_ai_system_id,
        case when {{ tag_systems }}.ai_system_id is not null then 'request_tag' end as marker_method,
        coalesce(litellm.model_group, litellm.model_name) as model_name,
        litellm.llm_provider as provider,
        cast(1 as bigint) as request_count,
        cast(coalesce(litellm.prompt_tokens, 0) as bigint) as input_tokens,
        cast(coalesce(litellm.completion_tokens, 0) as bigint) as output_tokens,
        cast(coalesce(litellm.cached_prompt_tokens, 0) as bigint) as cached_input_tokens,
        cast(coalesce(litellm.cache_creation_tokens, 0) as bigint) as cache_write_tokens,
        cast(litellm.reasoning_tokens as bigint) as reasoning_tokens,
        'tokens' as usage_unit,
        cast(coalesce(litellm.prompt_tokens, 0) + coalesce(litellm.completion_tokens, 0) as bigint)
            as usage_quantity,
        false as is_seat_day,
        cast(litellm.spend_usd as {{ money_type() }}) as cost_amount,
        'USD' as cost_currency,
        'source_export' as priced_by,
        litellm._source_file,
        litellm._file_sha256,
        litellm._line
    from {{ litellm }} as litellm
    left join {{ tag_systems }}
        on litellm.request_tags = {{ tag_systems }}.request_tags
{%- endmacro %}


{#
    OpenAI usage (every endpoint): a bucket result per event, the API key (else the user) its key, its project
    its marker; tokens from the token endpoints, other units (images, audio, vector store bytes, sessions, tool
    calls) as usage_unit / usage_quantity, each priced as macros/openai_usage.sql says.
#}
{% macro usage_events_openai(usage, prices) -%}
    select
        'usage/openai_usage' as source_dataset,
        usage_rows.usage_row_id as event_id,
        usage_rows.bucket_start_at as event_at,
        case when usage_rows.api_key_id is not null then 'openai_api_key_id' else 'openai_user_id' end as key_type,
        coalesce(usage_rows.api_key_id, usage_rows.openai_user_id) as key_value,
        case when usage_rows.project_id is not null then 'openai_project' end as marker_type,
        usage_rows.project_id as marker_value,
        usage_rows.model_name,
        'openai' as provider,
        cast(coalesce(usage_rows.model_request_count, 0) as bigint) as request_count,
        cast(coalesce(usage_rows.input_tokens, 0) as bigint) as input_tokens,
        cast(coalesce(usage_rows.output_tokens, 0) as bigint) as output_tokens,
        cast(coalesce(usage_rows.input_cached_tokens, 0) as bigint) as cached_input_tokens,
        cast(coalesce(usage_rows.input_cache_write_tokens, 0) as bigint) as cache_write_tokens,
        cast(null as bigint) as reasoning_tokens,
        usage_rows.usage_unit,
        cast(usage_rows.usage_quantity as bigint) as usage_quantity,
        false as is_seat_day,
        cast({{ spine_openai_usage_cost('usage_rows', 'prices', 'unit_prices', 'any_unit_prices') }}
            as {{ money_type() }}) as cost_amount,
        coalesce(prices.currency, unit_prices.currency, any_unit_prices.currency, 'USD') as cost_currency,
        case when usage_rows.usage_unit = 'tokens' then 'model_prices' else 'unit_prices' end as priced_by,
        usage_rows._source_file,
        usage_rows._file_sha256,
        usage_rows._line
    from (select * from {{ usage }}) as usage_rows
    left join {{ prices }} as prices
        on
            prices.provider = 'openai'
            and usage_rows.usage_unit = 'tokens'
            and usage_rows.model_name = prices.model
    {{ openai_unit_price_joins('usage_rows') }}
{%- endmacro %}


{% macro usage_events_anthropic(usage, prices) -%}
    select
        'ai/anthropic_usage' as source_dataset,
        usage_rows.usage_row_id as event_id,
        usage_rows.bucket_start_at as event_at,
        case when usage_rows.api_key_id is not null then 'anthropic_api_key_id' end as key_type,
        usage_rows.api_key_id as key_value,
        case when usage_rows.workspace_id is not null then 'anthropic_workspace' end as marker_type,
        usage_rows.workspace_id as marker_value,
        usage_rows.model_name,
        'anthropic' as provider,
        cast(0 as bigint) as request_count,
        cast(usage_rows.uncached_input_tokens + usage_rows.cache_read_input_tokens
            + usage_rows.cache_write_input_tokens as bigint) as input_tokens,
        cast(usage_rows.output_tokens as bigint) as output_tokens,
        cast(usage_rows.cache_read_input_tokens as bigint) as cached_input_tokens,
        cast(usage_rows.cache_write_input_tokens as bigint) as cache_write_tokens,
        cast(null as bigint) as reasoning_tokens,
        'tokens' as usage_unit,
        cast(usage_rows.uncached_input_tokens + usage_rows.cache_read_input_tokens
            + usage_rows.cache_write_input_tokens + usage_rows.output_tokens as bigint) as usage_quantity,
        false as is_seat_day,
        {% if prices -%}
        cast({{ spine_anthropic_usage_cost('usage_rows', 'prices', var('anthropic_web_search_price')) }}
            as {{ money_type() }}) as cost_amount,
        coalesce(prices.currency, 'USD') as cost_currency,
        {%- else -%}
        cast(null as {{ money_type() }}) as cost_amount,
        'USD' as cost_currency,
        {%- endif %}
        'model_prices' as priced_by,
        usage_rows._source_file,
        usage_rows._file_sha256,
        usage_rows._line
    from (select * from {{ usage }}) as usage_rows
    {%- if prices %}
    left join {{ prices }} as prices
        on
            prices.provider = 'anthropic'
            and usage_rows.model_name = prices.model
    {%- endif %}
{%- endmacro %}


{#
    Claude Code: one event per record (actor, day, terminal); its model is the record's only model, else NULL.
    A user actor's record is a seat day. Tokens and the estimated cost (cents) count on a subscription only:
    through the API they are in the Anthropic usage report already.
#}
{% macro usage_events_claude_code(usage) -%}
    {%- set on_subscription = "usage_rows.customer_type = 'subscription'" -%}
    select
        'ai/claude_code_usage' as source_dataset,
        usage_rows.claude_code_row_id as event_id,
        cast(usage_rows.activity_date as {{ dbt.type_timestamp() }}) as event_at,
        case when usage_rows.actor_email is not null then 'email' else 'api_key_ref' end as key_type,
        coalesce(usage_rows.actor_email, usage_rows.actor_api_key_name) as key_value,
        'ai_product' as marker_type,
        'product:claude_code' as marker_value,
        case
            when {{ json_get_text('usage_rows.model_breakdown_json', '1.model') }} is null
                then {{ json_get_text('usage_rows.model_breakdown_json', '0.model') }}
        end as model_name,
        'anthropic' as provider,
        cast(0 as bigint) as request_count,
        case when {{ on_subscription }} then cast(
            {{ claude_code_breakdown_total('usage_rows.model_breakdown_json', 'tokens.input', 'bigint') }}
            + {{ claude_code_breakdown_total('usage_rows.model_breakdown_json', 'tokens.cache_read', 'bigint') }}
            + {{ claude_code_breakdown_total('usage_rows.model_breakdown_json', 'tokens.cache_creation', 'bigint') }}
            as bigint) else cast(0 as bigint) end as input_tokens,
        case when {{ on_subscription }} then cast(
            {{ claude_code_breakdown_total('usage_rows.model_breakdown_json', 'tokens.output', 'bigint') }}
            as bigint) else cast(0 as bigint) end as output_tokens,
        case when {{ on_subscription }} then cast(
            {{ claude_code_breakdown_total('usage_rows.model_breakdown_json', 'tokens.cache_read', 'bigint') }}
            as bigint) else cast(0 as bigint) end as cached_input_tokens,
        case when {{ on_subscription }} then cast(
            {{ claude_code_breakdown_total('usage_rows.model_breakdown_json', 'tokens.cache_creation', 'bigint') }}
            as bigint) else cast(0 as bigint) end as cache_write_tokens,
        cast(null as bigint) as reasoning_tokens,
        'claude_code_sessions' as usage_unit,
        cast(usage_rows.session_count as bigint) as usage_quantity,
        usage_rows.actor_email is not null as is_seat_day,
        case when {{ on_subscription }} then cast(
            {{ claude_code_breakdown_total('usage_rows.model_breakdown_json', 'estimated_cost.amount', money_type()) }}
            / 100 as {{ money_type() }}) else cast(0 as {{ money_type() }}) end as cost_amount,
        'USD' as cost_currency,
        case when {{ on_subscription }} then 'vendor_estimate' else 'anthropic_usage' end as priced_by,
        usage_rows._source_file,
        usage_rows._file_sha256,
        usage_rows._line
    from (select * from {{ usage }}) as usage_rows
{%- endmacro %}


{% macro usage_events_bedrock(usage, prices) -%}
    select
        'ai/bedrock_invocations' as source_dataset,
        usage_rows.request_id as event_id,
        usage_rows.invoked_at as event_at,
        {{ aws_iam_caller_key_type('usage_rows.caller_arn') }} as key_type,
        {{ aws_iam_caller_key('usage_rows.caller_arn') }} as key_value,
        cast(null as {{ dbt.type_string() }}) as marker_type,
        cast(null as {{ dbt.type_string() }}) as marker_value,
        usage_rows.base_model_id as model_name,
        'bedrock' as provider,
        cast(1 as bigint) as request_count,
        cast(usage_rows.input_tokens + usage_rows.cache_read_input_tokens
            + usage_rows.cache_write_input_tokens as bigint) as input_tokens,
        cast(usage_rows.output_tokens as bigint) as output_tokens,
        cast(usage_rows.cache_read_input_tokens as bigint) as cached_input_tokens,
        cast(usage_rows.cache_write_input_tokens as bigint) as cache_write_tokens,
        cast(null as bigint) as reasoning_tokens,
        'tokens' as usage_unit,
        cast(usage_rows.input_tokens + usage_rows.cache_read_input_tokens + usage_rows.cache_write_input_tokens
            + usage_rows.output_tokens as bigint) as usage_quantity,
        false as is_seat_day,
        {% if prices -%}
        cast({{ spine_bedrock_usage_cost('usage_rows', 'prices') }} as {{ money_type() }}) as cost_amount,
        coalesce(prices.currency, 'USD') as cost_currency,
        {%- else -%}
        cast(null as {{ money_type() }}) as cost_amount,
        'USD' as cost_currency,
        {%- endif %}
        'model_prices' as priced_by,
        usage_rows._source_file,
        usage_rows._file_sha256,
        usage_rows._line
    from (select * from {{ usage }}) as usage_rows
    {%- if prices %}
    left join {{ prices }} as prices
        on
            prices.provider = 'bedrock'
            and usage_rows.base_model_id = prices.model
    {%- endif %}
{%- endmacro %}


{# Cursor usage events: one request each, cost what Cursor charged (cents, staged in USD as charged_amount). #}
{% macro usage_events_cursor(usage) -%}
    select
        'ai/cursor_usage_events' as source_dataset,
        usage_rows.usage_event_id as event_id,
        usage_rows.event_at,
        'email' as key_type,
        usage_rows.user_email as key_value,
        'ai_product' as marker_type,
        'product:cursor' as marker_value,
        usage_rows.model_name,
        'cursor' as provider,
        cast(1 as bigint) as request_count,
        cast(usage_rows.input_tokens + usage_rows.cache_read_tokens + usage_rows.cache_write_tokens as bigint)
            as input_tokens,
        cast(usage_rows.output_tokens as bigint) as output_tokens,
        cast(usage_rows.cache_read_tokens as bigint) as cached_input_tokens,
        cast(usage_rows.cache_write_tokens as bigint) as cache_write_tokens,
        cast(null as bigint) as reasoning_tokens,
        'tokens' as usage_unit,
        cast(usage_rows.input_tokens + usage_rows.cache_read_tokens + usage_rows.cache_write_tokens
            + usage_rows.output_tokens as bigint) as usage_quantity,
        false as is_seat_day,
        cast(usage_rows.charged_amount as {{ money_type() }}) as cost_amount,
        coalesce(usage_rows.currency, 'USD') as cost_currency,
        'vendor_charge' as priced_by,
        usage_rows._source_file,
        usage_rows._file_sha256,
        usage_rows._line
    from (select * from {{ usage }}) as usage_rows
{%- endmacro %}


{#
    Seat products' daily reports, an event per user and day: GitHub Copilot's user days (a user with activity
    that day: a seat day, with the user's own chat and agent requests), Cursor's member days (a seat day when
    `isActive`). No tokens, no usage price.
#}
{% macro usage_events_seat_days(usage, dataset) -%}
    {%- set copilot = dataset == 'ai/github_copilot_usage' -%}
    select
        '{{ dataset }}' as source_dataset,
        usage_rows.{{ 'copilot_user_day_id' if copilot else 'cursor_user_day_id' }} as event_id,
        cast(usage_rows.usage_date as {{ dbt.type_timestamp() }}) as event_at,
        '{{ 'github_login' if copilot else 'email' }}' as key_type,
        usage_rows.{{ 'github_login' if copilot else 'email' }} as key_value,
        'ai_product' as marker_type,
        '{{ 'product:github_copilot' if copilot else 'product:cursor' }}' as marker_value,
        cast(null as {{ dbt.type_string() }}) as model_name,
        '{{ 'github' if copilot else 'cursor' }}' as provider,
        cast({{ 'coalesce(usage_rows.user_initiated_interaction_count, 0)' if copilot else '0' }} as bigint)
            as request_count,
        cast(0 as bigint) as input_tokens,
        cast(0 as bigint) as output_tokens,
        cast(0 as bigint) as cached_input_tokens,
        cast(0 as bigint) as cache_write_tokens,
        cast(null as bigint) as reasoning_tokens,
        'seat_days' as usage_unit,
        cast(case when {{ 'true' if copilot else 'usage_rows.is_active' }} then 1 else 0 end as bigint)
            as usage_quantity,
        {{ 'true' if copilot else 'usage_rows.is_active' }} as is_seat_day,
        cast(0 as {{ money_type() }}) as cost_amount,
        'USD' as cost_currency,
        'seat_licence' as priced_by,
        usage_rows._source_file,
        usage_rows._file_sha256,
        usage_rows._line
    from (select * from {{ usage }}) as usage_rows
{%- endmacro %}


{#
    Every AI tool source's events (relations by dataset: the staging models, or their rows a night reads);
    prices none: the keys and markers alone, every cost NULL (no price join).
#}
{% macro usage_events_ai_tools(relations, prices) -%}
    {{ usage_events_anthropic(relations['ai/anthropic_usage'], prices) }}
    union all
    {{ usage_events_claude_code(relations['ai/claude_code_usage']) }}
    union all
    {{ usage_events_bedrock(relations['ai/bedrock_invocations'], prices) }}
    union all
    {{ usage_events_cursor(relations['ai/cursor_usage_events']) }}
    union all
    {{ usage_events_seat_days(relations['ai/cursor_daily_usage'], 'ai/cursor_daily_usage') }}
    union all
    {{ usage_events_seat_days(relations['ai/github_copilot_usage'], 'ai/github_copilot_usage') }}
{%- endmacro %}


{# The staging model of each AI tool usage dataset. #}
{% macro usage_ai_tool_staging() -%}
    {{ return({
        'ai/anthropic_usage': ref('stg_ai__anthropic_usage'),
        'ai/claude_code_usage': ref('stg_ai__claude_code_usage'),
        'ai/bedrock_invocations': ref('stg_ai__bedrock_invocations'),
        'ai/cursor_usage_events': ref('stg_ai__cursor_usage_events'),
        'ai/cursor_daily_usage': ref('stg_ai__cursor_daily_usage'),
        'ai/github_copilot_usage': ref('stg_ai__github_copilot_usage'),
    }) }}
{%- endmacro %}


{# The rows of each AI tool staging model an (incremental) int_usage__attributed build reads. #}
{% macro usage_ai_tool_increment_rows() -%}
    {%- set rows = {} -%}
    {%- for dataset, relation in usage_ai_tool_staging().items() -%}
        {%- do rows.update({dataset: increment_rows(relation, ['_source_file', '_file_sha256', '_line'], dataset)}) -%}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}
