{#
    Repeated natural keys. Real exports repeat their ids: the same Okta event in two overlapping pulls of the
    System Log, a LiteLLM request logged twice, a ticket exported again once resolved. Landing keeps every copy
    as the vendor shipped it; staging sees each natural key once, by the dataset's registry rule
    (`repeats`, orchestration/datasets.py):

    - events: identical copies (every contract field equal) collapse into the first copy landed (earliest
      `_ingested_at`, then file, then line); copies that differ are all quarantined;
    - latest: the copy from the latest file landed (latest `_ingested_at`, then file name) counts, older copies
      are superseded; copies that differ within that one file are all quarantined;
    - positional: nothing collapses (the key is the line).

    fct_landing_repeats lists every copy of a repeated key with its status (kept, collapsed, superseded,
    quarantined) and the copies it sits beside. The uniqueness gates guard the staged result (the staging
    models' `unique` tests), never a vendor's file. Keys and fields come from the registry (landing_contracts(),
    generated).
#}

{% macro landing_contract(system, name) -%}
    {%- for c in landing_contracts() if c.system == system and c.name == name -%}
        {{ return(c) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no landed dataset " ~ system ~ "/" ~ name ~ " in landing_contracts()") }}
{%- endmacro %}


{% macro quoted(columns) -%}
    {%- set out = [] -%}
    {%- for column in columns -%}
        {%- do out.append(adapter.quote(column)) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}


{#
    landing_copies(system, name): every landed row with `_version` (a hash of its contract fields),
    `_copies` (rows sharing its natural key), `_copy_number` (1 = the copy staging keeps, by the dataset's rule)
    and `_copy_status`: kept, collapsed (identical to the kept copy), superseded (an older version a newer file
    restated) or quarantined (copies that differ where the rule cannot choose). Keys seen once are `kept`.
#}
{% macro landing_copies(system, name, only_repeated=false, scope=none) -%}
    {%- set c = landing_contract(system, name) -%}
    {%- set key = quoted(c.natural_key) | join(', ') -%}
    {%- if c.repeats == 'latest' -%}
        {%- set keep_order = '_ingested_at desc, _source_file desc, _line' -%}
    {%- else -%}
        {%- set keep_order = '_ingested_at, _source_file, _line' -%}
    {%- endif -%}
    select
        numbered.*,
        case
            when {{ 'kept_file_agrees' if c.repeats == 'latest' else 'all_agree' }} = 0 then 'quarantined'
            when _copy_number = 1 then 'kept'
            when _version = kept_version then 'collapsed'
            else 'superseded'
        end as _copy_status
    from (
        select
            versioned.*,
            row_number() over (partition by {{ key }} order by {{ keep_order }}) as _copy_number,
            count(*) over (partition by {{ key }}) as _copies,
            first_value(_version) over (partition by {{ key }} order by {{ keep_order }}) as kept_version,
            case
                when min(_version) over (partition by {{ key }}) = max(_version) over (partition by {{ key }})
                    then 1
                else 0
            end as all_agree,
            first_value(file_agrees) over (partition by {{ key }} order by {{ keep_order }}) as kept_file_agrees
        from (
            select
                hashed.*,
                case
                    when min(_version) over (partition by {{ key }}, _source_file)
                        = max(_version) over (partition by {{ key }}, _source_file)
                        then 1
                    else 0
                end as file_agrees
            from (
                select
                    landed.*,
                    {{ surrogate_key(quoted(c.fields)) }} as _version
                from {{ landed_rows(system, name, scope) }} as landed
                {%- if only_repeated %}
                    inner join ({{ repeated_keys(system, name, scope) }}) as repeated_keys
                        on {{ key_matches('landed', 'repeated_keys', c.natural_key, not c.key_never_null) }}
                {%- endif %}
            ) as hashed
        ) as versioned
    ) as numbered
{%- endmacro %}


{#
    repeated_keys(system, name): the natural keys landed more than once (a GROUP BY over the key columns alone,
    which takes NULL parts as equal), with `_is_repeated` (true) to tell a match from no match in an outer join.
    key_matches(left, right, key, null_safe): a landed row's key equals a repeated key, part by part; null_safe
    for keys that may hold NULL (matched as GROUP BY and PARTITION BY group them).
#}
{% macro repeated_keys(system, name, scope=none) -%}
    {%- set key = landing_contract(system, name).natural_key -%}
    select {% for column in key %}{{ adapter.quote(column) }} as {{ repeated_key_column(column) }}, {% endfor -%}
        true as _is_repeated
    from {{ landed_rows(system, name, scope) }} as landed_keys
    group by {{ quoted(key) | join(', ') }}
    having count(*) > 1
{%- endmacro %}


{# The name a key part takes in repeated_keys() (apart from the landed columns it is joined to). #}
{% macro repeated_key_column(column) -%}
    {{ adapter.quote('_repeated_' ~ column) }}
{%- endmacro %}


{% macro key_matches(left, right, key, null_safe=false) -%}
    {%- set parts = [] -%}
    {%- for column in key -%}
        {%- set l = left ~ "." ~ adapter.quote(column) -%}
        {%- set r = right ~ "." ~ repeated_key_column(column) -%}
        {%- do parts.append(null_safe_equals(l, r) if null_safe else l ~ " = " ~ r) -%}
    {%- endfor -%}
    {{ parts | join(' and ') }}
{%- endmacro %}


{# null_safe_equals(a, b): a equals b, NULL equal to NULL (a join condition DuckDB and Spark hash). #}
{% macro null_safe_equals(a, b) -%}
    {{ return(adapter.dispatch('null_safe_equals', 'ai_roi_ledger')(a, b)) }}
{%- endmacro %}

{% macro default__null_safe_equals(a, b) -%}
    ({{ a }} is not distinct from {{ b }})
{%- endmacro %}

{% macro spark__null_safe_equals(a, b) -%}
    ({{ a }} <=> {{ b }})
{%- endmacro %}


{#
    repeated_copies(system, name): landing_copies() of the keys landed more than once, the rows
    fct_landing_repeats lists. The keys are found by grouping first and the window functions run only over
    their rows: a night of ten million LiteLLM requests with a handful repeated sorts a handful, not ten million
    wide rows (a key that may hold NULL is matched null-safe, as the grouping groups it).
#}
{% macro repeated_copies(system, name, scope=none) -%}
    {{ landing_copies(system, name, only_repeated=true, scope=scope) }}
{%- endmacro %}


{# deduplicated_landing(system, name): the landing table with each natural key once (see above): the keys landed
   once as they are, and the copy the rule keeps of each repeated one. #}
{% macro deduplicated_landing(system, name) -%}
    {%- set c = landing_contract(system, name) -%}
    {%- set columns = quoted(c.fields + [c.extra, '_source_file', '_file_sha256', '_line', '_ingested_at']) -%}
    {%- if c.repeats == 'positional' -%}
    select * from {{ landed_rows(system, name) }} as landed
    {%- else -%}
    select {% for column in columns %}landed.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ landed_rows(system, name) }} as landed
    left join ({{ repeated_keys(system, name) }}) as repeated_keys
        on {{ key_matches('landed', 'repeated_keys', c.natural_key, not c.key_never_null) }}
    where repeated_keys._is_repeated is null
    union all
    select {{ columns | join(', ') }}
    from ({{ repeated_copies(system, name) }}) as copies
    where _copy_status = 'kept'
    {%- endif -%}
{%- endmacro %}


{# The natural key of a landed row as one text (parts joined by ' | ', NULL as an empty part). #}
{% macro repeat_key_text(natural_key) -%}
    {%- set parts = [] -%}
    {%- for column in natural_key -%}
        {%- do parts.append("coalesce(cast(" ~ adapter.quote(column) ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last -%}{%- do parts.append("' | '") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) if parts | length > 1 else parts[0] }}
{%- endmacro %}


{# The currency of a landed row's money, as ingest totals it (audit.ingested_money): the row's own, upper-cased,
   or the dataset's documented default. #}
{% macro repeat_currency(c) -%}
    {%- set default = "'" ~ c.currency ~ "'" if c.currency else "cast(null as " ~ dbt.type_string() ~ ")" -%}
    {%- if c.currency_field -%}
        coalesce(upper(trim({{ adapter.quote(c.currency_field) }})), {{ default }})
    {%- else -%}
        {{ default }}
    {%- endif -%}
{%- endmacro %}


{# Registry keys of the datasets with money fields, as a SQL list of string literals. #}
{% macro money_datasets_sql() -%}
    {%- set out = [] -%}
    {%- for c in landing_contracts() if c.money_fields -%}
        {%- do out.append("'" ~ c.system ~ "/" ~ c.name ~ "'") -%}
    {%- endfor -%}
    {{ out | join(', ') }}
{%- endmacro %}


{# The money field fct_landing_repeats totals for a dataset (its first), as a CASE over `dataset_column`. #}
{% macro repeat_money_field_sql(dataset_column) -%}
    case {{ dataset_column }}
    {%- for c in landing_contracts() if c.money_fields %}
        when '{{ c.system }}/{{ c.name }}' then '{{ c.money_fields[0] }}'
    {%- endfor %}
    end
{%- endmacro %}


{#
    money_destinations(): where each money field's landed amounts must arrive, for fct_money_completeness:
    (dataset, money field, relation: a model or a CTE of fct_money_completeness, amount column, currency column,
    label). FOCUS costs reach the cost lines (list and contracted cost stop at staging), LiteLLM spend the usage
    records fct_ai_usage sums, the other money fields their staging model (Anthropic's cost report in its cents).
#}
{% macro money_destinations() -%}
    {{ return([
        ('billing/focus', 'billed_cost', 'cost_lines', 'billed_cost', 'billing_currency',
         'marts.fct_cost_lines.billed_cost'),
        ('billing/focus', 'effective_cost', 'cost_lines', 'effective_cost', 'billing_currency',
         'marts.fct_cost_lines.effective_cost'),
        ('billing/focus', 'list_cost', 'stg_billing__focus', 'list_cost', 'billing_currency',
         'staging.stg_billing__focus.list_cost'),
        ('billing/focus', 'contracted_cost', 'stg_billing__focus', 'contracted_cost', 'billing_currency',
         'staging.stg_billing__focus.contracted_cost'),
        ('usage/litellm_spend_logs', 'spend', 'usage_records', 'cost_amount', 'cost_currency',
         'intermediate.int_usage__attributed.cost_amount (summed by marts.fct_ai_usage)'),
        ('billing/saas_licences', 'amount', 'stg_billing__saas_licences', 'billed_amount', 'currency',
         'staging.stg_billing__saas_licences.billed_amount'),
        ('security/incidents', 'loss_amount', 'stg_security__incidents', 'loss_amount', 'currency',
         'staging.stg_security__incidents.loss_amount'),
        ('ai/anthropic_cost', 'amount', 'stg_ai__anthropic_cost', 'amount_cents', 'currency',
         'staging.stg_ai__anthropic_cost.amount_cents'),
        ('ai/openai_costs', 'amount', 'stg_ai__openai_costs', 'amount', 'currency',
         'staging.stg_ai__openai_costs.amount'),
        ('ai/cursor_usage_events', 'charged_cents', 'stg_ai__cursor_usage_events', 'charged_cents', 'currency',
         'staging.stg_ai__cursor_usage_events.charged_cents'),
    ]) }}
{%- endmacro %}
