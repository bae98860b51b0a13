{#
    Macros of the identity / usage / policy spine (models/intermediate, the spine marts). Portable: anything
    that differs between DuckDB, PostgreSQL and Spark is dispatched (docs/PORTABILITY.md).
#}


{#
    spine_as_of_date(): the reporting date (var `as_of`, else environment variable ROI_LEDGER_AS_OF, YYYY-MM-DD)
    as a date; the current date when neither is set. Ages (key age, days since rotation) are counted to this
    date. The pipeline sets the environment variable, not the var: dbt parses the whole project again whenever
    a var changes (every night's as-of date), and only the files reading an environment variable when it does.
#}
{% macro spine_as_of_date() -%}
    {%- set as_of = var('as_of') or env_var('ROI_LEDGER_AS_OF', '') -%}
    {%- if as_of -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of | string) -%}
            {{ exceptions.raise_compiler_error("var as_of must be YYYY-MM-DD, got " ~ as_of) }}
        {%- endif -%}
        cast('{{ as_of }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}


{# spine_static_key_max_age_days(): var `static_key_max_age_days` (default 90) as an integer literal. #}
{% macro spine_static_key_max_age_days() -%}
    {{ return(var('static_key_max_age_days') | int) }}
{%- endmacro %}


{#
    spine_explode_list(expr, sep=';'): one output row per item of a canonical list (lists.sql), used in a
    select list (`select id, {{ spine_explode_list('refs') }} as ref from t`). NULL lists give no row.
    - DuckDB, PostgreSQL: unnest of the split array (a set-returning expression in the select list).
    - Spark: explode.
#}
{% macro spine_explode_list(expr, sep=';') -%}
    {{ return(adapter.dispatch('spine_explode_list', 'ai_roi_ledger')(expr, sep)) }}
{%- endmacro %}

{% macro default__spine_explode_list(expr, sep) -%}
    unnest({{ ai_roi_ledger.split_list(expr, sep) }})
{%- endmacro %}

{% macro spark__spine_explode_list(expr, sep) -%}
    explode({{ ai_roi_ledger.split_list(expr, sep) }})
{%- endmacro %}


{#
    spine_regexp_like(expr, pattern): true when the text matches the (POSIX-style) pattern anywhere; anchor
    it with ^ and $ for a full match. Pattern is a Python string without backslashes.
#}
{% macro spine_regexp_like(expr, pattern) -%}
    {{ return(adapter.dispatch('spine_regexp_like', 'ai_roi_ledger')(expr, pattern)) }}
{%- endmacro %}

{% macro default__spine_regexp_like(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{% macro duckdb__spine_regexp_like(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{% macro spark__spine_regexp_like(expr, pattern) -%}
    ({{ expr }} rlike '{{ pattern | replace('\\', '\\\\') | replace("'", "\\'") }}')
{%- endmacro %}


{#
    spine_regexp_extract(expr, pattern): the text of the first capture group of the first match, NULL when
    there is none (pattern has exactly one group; no backslashes).
#}
{% macro spine_regexp_extract(expr, pattern) -%}
    {{ return(adapter.dispatch('spine_regexp_extract', 'ai_roi_ledger')(expr, pattern)) }}
{%- endmacro %}

{% macro default__spine_regexp_extract(expr, pattern) -%}
    substring({{ expr }} from '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{% macro duckdb__spine_regexp_extract(expr, pattern) -%}
    nullif(regexp_extract({{ expr }}, '{{ pattern | replace("'", "''") }}', 1), '')
{%- endmacro %}

{% macro spark__spine_regexp_extract(expr, pattern) -%}
    nullif(regexp_extract({{ expr }}, '{{ pattern | replace('\\', '\\\\') | replace("'", "\\'") }}', 1), '')
{%- endmacro %}


{#
    spine_unknown_identity_id(key_type, key_value): the deterministic id of an identity seen in a source but
    in no inventory row: 'unk-' and 16 hex characters of md5 over the key type and value.
#}
{% macro spine_unknown_identity_id(key_type, key_value) -%}
    ('unk-' || substr({{ ai_roi_ledger.surrogate_key([key_type, key_value]) }}, 1, 16))
{%- endmacro %}


{#
    spine_token_cost(tokens, price_per_1m): tokens x price per million tokens, exact, as money_type().
    The price is shifted to a per-token decimal(20,12) first and the tokens cast to decimal(12,0), so no
    engine rounds the product: Spark keeps the scale of a product only while its precision stays within 38,
    and DuckDB keeps the larger precision of the operands. Exact for prices with up to 5 decimals per 1M.
#}
{% macro spine_token_cost(tokens, price_per_1m) -%}
    cast(
        cast(coalesce({{ tokens }}, 0) as decimal(12, 0))
        * cast(cast({{ price_per_1m }} as decimal(12, 6)) * cast(0.000001 as decimal(7, 6)) as decimal(20, 12))
        as {{ ai_roi_ledger.money_type() }}
    )
{%- endmacro %}


{#
    spine_key_type_of_ref(expr): the key type of an identity's inventory reference (api_key_refs item), by
    its shape: LiteLLM key hash (64 hex), OpenAI api key id (key_...), OpenAI user id (user-...), Anthropic
    API key id (apikey_...), AWS access key id (AKIA/ASIA...), Secrets Manager ARN and IAM role ARN (any
    partition: aws, aws-us-gov, aws-cn, ...), GitHub hashed_token (base64 SHA-256); else api_key_ref (a key's
    name, as Claude Code names an API key actor).
#}
{% macro spine_key_type_of_ref(expr) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(expr, '^[0-9a-f]{64}$') }} then 'litellm_key_hash'
        when substr({{ expr }}, 1, 4) = 'key_' then 'openai_api_key_id'
        when substr({{ expr }}, 1, 5) = 'user-' then 'openai_user_id'
        when substr({{ expr }}, 1, 7) = 'apikey_' then 'anthropic_api_key_id'
        when {{ ai_roi_ledger.spine_regexp_like(expr, '^(AKIA|ASIA)[A-Z0-9]{12,}$') }} then 'aws_access_key_id'
        when {{ ai_roi_ledger.spine_regexp_like(expr, '^arn:aws(-[a-z]+)*:secretsmanager:') }} then 'secret_arn'
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__role_arn_pattern()) }} then 'aws_iam_role'
        when {{ ai_roi_ledger.spine_regexp_like(expr, '^[A-Za-z0-9+/]{43}=$') }} then 'github_token_hash'
        else 'api_key_ref'
    end
{%- endmacro %}


{#
    spine_marker_type(expr): the type of an AI-system usage marker (inventory api_key_refs of an AI system,
    OPA input.ai_system): OpenAI project id (proj_...), Anthropic workspace id (wrkspc_...), a seat product
    (product:github_copilot, product:cursor, product:claude_code: the product's own usage reports), AI system
    id (ais-...), else a LiteLLM request tag.
#}
{% macro spine_marker_type(expr) -%}
    case
        when substr({{ expr }}, 1, 5) = 'proj_' then 'openai_project'
        when substr({{ expr }}, 1, 7) = 'wrkspc_' then 'anthropic_workspace'
        when substr({{ expr }}, 1, {{ ai_roi_ledger.spine_product_prefix() | length }})
            = '{{ ai_roi_ledger.spine_product_prefix() }}' then 'ai_product'
        when substr({{ expr }}, 1, 4) = 'ais-' then 'ai_system_id'
        else 'litellm_tag'
    end
{%- endmacro %}


{# The prefix of a seat product's marker (`product:cursor`), and spine_marker_product(expr): the product it names. #}
{% macro spine_product_prefix() -%}
    {{ return('product:') }}
{%- endmacro %}

{% macro spine_marker_product(expr) -%}
    substr({{ expr }}, {{ ai_roi_ledger.spine_product_prefix() | length + 1 }})
{%- endmacro %}


{#
    spine_login_kind(login, is_bot=none): the kind a GitHub login hints: 'service' for bot accounts (GitHub App
    `name[bot]` logins, the `-bot` naming convention, or an is_bot flag the source gives), else 'human'.
#}
{% macro spine_login_kind(login, is_bot=none) -%}
    case
        when {% if is_bot %}{{ is_bot }} or {% endif %}{{ login }} like '%[bot]' or {{ login }} like '%-bot'
            then 'service'
        else 'human'
    end
{%- endmacro %}


{#
    spine_kind_rank(kind) / spine_kind_of_rank(rank): when sources hint different kinds for one unknown
    identity, the most specific wins: agent, then service, then human, then api_key.
#}
{% macro spine_kind_rank(kind) -%}
    case {{ kind }} when 'agent' then 1 when 'service' then 2 when 'human' then 3 when 'api_key' then 4 else 5 end
{%- endmacro %}

{% macro spine_kind_of_rank(rank) -%}
    case {{ rank }} when 1 then 'agent' when 2 then 'service' when 3 then 'human' when 4 then 'api_key' end
{%- endmacro %}


{#
    Generic test spine_unique_combination(columns): no two rows share the same values of the columns
    (a composite key). Fails with each duplicated combination and its row count.
#}
{% test spine_unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
