{#
    OpenAI's usage endpoints in one dataset (`usage/openai_usage`): each result's `object` names its endpoint,
    and each endpoint counts its own unit. Token endpoints (completions, embeddings, moderations) are priced by
    seed `model_prices`; the others by seed `unit_prices` (per image, character, second of audio, byte-day of
    vector store, session, tool call).
#}


{# openai_usage_kind(object): the endpoint of a result, from its `object` (`organization.usage.<kind>.result`). #}
{% macro openai_usage_kind(object) -%}
    replace(replace({{ object }}, 'organization.usage.', ''), '.result', '')
{%- endmacro %}


{# The unit each endpoint counts (stg_usage__openai_usage.usage_quantity is in it). #}
{% macro openai_usage_units() -%}
    {{ return({
        'completions': 'tokens',
        'embeddings': 'tokens',
        'moderations': 'tokens',
        'images': 'images',
        'audio_speeches': 'characters',
        'audio_transcriptions': 'audio_seconds',
        'vector_stores': 'vector_store_bytes',
        'code_interpreter_sessions': 'code_interpreter_sessions',
        'file_searches': 'file_search_calls',
        'web_searches': 'web_search_calls',
    }) }}
{%- endmacro %}


{% macro openai_usage_unit(kind) -%}
    case {{ kind }}
    {%- for k, unit in openai_usage_units().items() %}
        when '{{ k }}' then '{{ unit }}'
    {%- endfor %}
    end
{%- endmacro %}


{#
    spine_openai_usage_cost(usage, prices, unit_prices, any_unit_prices): the cost of one OpenAI usage record
    (`stg_usage__openai_usage` as `usage`): a token endpoint's uncached input, cache reads, cache writes and
    output tokens, each at its `model_prices` (`prices`) price; any other endpoint's quantity at its
    `unit_prices` price for the record's model and variant (image size), else (`any_unit_prices`) for any
    model. A vector store's bytes are priced per day held: a day's bucket at the price, other bucket widths by
    their share of a day (to 12 decimal places: a share such as 1/24 has no exact decimal). NULL when
    unpriced. The attribution and the invoice reconciliation price alike.
#}
{% macro spine_openai_usage_cost(usage, prices, unit_prices, any_unit_prices) -%}
    {%- set unit_price = 'coalesce(' ~ unit_prices ~ '.unit_price, ' ~ any_unit_prices ~ '.unit_price)' -%}
    {%- set quantity_cost -%}
        cast(cast({{ usage }}.usage_quantity as decimal(20, 0)) * cast({{ unit_price }} as decimal(17, 12))
            as {{ ai_roi_ledger.money_type() }})
    {%- endset -%}
    {%- set bucket_seconds = dbt.datediff(usage ~ '.bucket_start_at', usage ~ '.bucket_end_at', 'second') -%}
    case
        when {{ usage }}.usage_unit = 'tokens' then
            {{ ai_roi_ledger.spine_token_cost(
                usage ~ '.input_tokens - coalesce(' ~ usage ~ '.input_cached_tokens, 0) - coalesce('
                ~ usage ~ '.input_cache_write_tokens, 0)', prices ~ '.input_price_per_1m') }}
            + {{ ai_roi_ledger.spine_token_cost(usage ~ '.input_cached_tokens', prices ~ '.cached_input_price_per_1m') }}
            + {{ ai_roi_ledger.spine_token_cost(usage ~ '.input_cache_write_tokens',
                                                prices ~ '.cache_write_price_per_1m') }}
            + {{ ai_roi_ledger.spine_token_cost(usage ~ '.output_tokens', prices ~ '.output_price_per_1m') }}
        when {{ usage }}.usage_unit = 'vector_store_bytes' and {{ bucket_seconds }} <> 86400 then
            cast(cast({{ quantity_cost }} * {{ bucket_seconds }} / 86400 as decimal(38, 12))
                as {{ ai_roi_ledger.money_type() }})
        else {{ quantity_cost }}
    end
{%- endmacro %}


{#
    openai_unit_price_joins(usage): the two `unit_prices` joins spine_openai_usage_cost reads, as
    `unit_prices` (the record's model and image size; '*' where the record has none) and `any_unit_prices`
    (the unit's price for any model).
#}
{% macro openai_unit_price_joins(usage) -%}
    left join {{ ref('unit_prices') }} as unit_prices
        on
            unit_prices.provider = 'openai'
            and {{ usage }}.usage_unit = unit_prices.usage_unit
            and coalesce({{ usage }}.model_name, '*') = unit_prices.model
            and coalesce({{ usage }}.image_size, '*') = unit_prices.variant
    left join {{ ref('unit_prices') }} as any_unit_prices
        on
            any_unit_prices.provider = 'openai'
            and {{ usage }}.usage_unit = any_unit_prices.usage_unit
            and any_unit_prices.model = '*'
            and any_unit_prices.variant = '*'
{%- endmacro %}
