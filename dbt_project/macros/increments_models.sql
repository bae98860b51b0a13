{#
    The incremental plans of the models downstream of staging (the protocol: increments.sql).
#}

{# ---- int_usage__attributed: staging rows in, usage dates out ---------------------------------------- #}

{% macro usage_attributed_upstreams() -%}
    {%- set upstreams = {'usage/litellm_spend_logs': ref('stg_usage__litellm_spend_logs'),
                         'usage/openai_usage': ref('stg_usage__openai_usage')} -%}
    {%- do upstreams.update(usage_ai_tool_staging()) -%}
    {{ return(upstreams) }}
{%- endmacro %}


{# The dimensions int_usage__attributed joins, with the columns it reads of them. #}
{% macro usage_attributed_dimensions() -%}
    {%- set prices = ref('model_prices') -%}
    {%- set price_columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(prices) -%}
        {%- do price_columns.append(column.name) -%}
    {%- endfor -%}
    {%- set unit_prices = ref('unit_prices') -%}
    {%- set unit_price_columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(unit_prices) -%}
        {%- do unit_price_columns.append(column.name) -%}
    {%- endfor -%}
    {{ return({
        'int_identity__keys': (ref('int_identity__keys'),
            ['key_type', 'key_value', 'identity_id', 'is_in_inventory', 'owner_team', 'ai_system_id']),
        'int_ai_system__markers': (ref('int_ai_system__markers'),
            ['marker_type', 'marker_value', 'ai_system_id', 'system_type']),
        'model_prices': (prices, price_columns),
        'unit_prices': (unit_prices, unit_price_columns),
    }) }}
{%- endmacro %}


{% macro usage_attributed_increment_prepare() -%}
    {%- if increment_active() -%}
        {%- set state = increment_state(this) -%}
        {%- set upstreams = usage_attributed_upstreams() -%}
        {%- set plan = increment_plan(state, upstreams, usage_attributed_dimensions()) -%}
        {%- set provenance = ['_source_file', '_file_sha256', '_line'] -%}
        {%- set scope -%}
            {%- if plan.rebuild -%}
                {%- for name, relation in upstreams.items() %}
            select '{{ name }}' as source_dataset, {{ provenance | join(', ') }} from {{ relation }}
            {{ 'union all' if not loop.last }}
                {%- endfor %}
            {%- else %}
            select
                cast(null as {{ dbt.type_string() }}) as source_dataset,
                cast(null as {{ dbt.type_string() }}) as _source_file,
                cast(null as {{ dbt.type_string() }}) as _file_sha256,
                cast(null as bigint) as _line
            where 1 = 0
                {%- for name in plan.scoped %}
            union all
            select '{{ name }}', {{ provenance | join(', ') }}
            from {{ increment_relation(upstreams[name], 'scope') }}
                {%- endfor %}
            {%- endif %}
        {%- endset -%}
        {%- set scope_rel = increment_relation(this, 'scope') -%}
        {%- do increment_replace(scope_rel, scope) -%}
        {%- set changes -%}
            {%- if plan.rebuild %}
            select cast(null as date) as usage_date where 1 = 0
            {%- else %}
            select distinct target.usage_date
            from {{ this }} as target
            inner join {{ scope_rel }} as scope
                on
                    target.source_dataset = scope.source_dataset
                    and target._source_file = scope._source_file
                    and target._file_sha256 = scope._file_sha256
                    and target._line = scope._line
            {%- endif %}
        {%- endset -%}
        {%- do increment_replace(increment_relation(this, 'changes'), changes) -%}
        {%- if plan.rebuild -%}
            {%- do run_query('delete from ' ~ this) -%}
        {%- else -%}
            {%- do run_query(increment_delete_sql(scope_rel, ['source_dataset'] + provenance)) -%}
        {%- endif -%}
        {%- do increment_write_state(state, plan.rebuild, plan.consumed) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{# post_hook: the usage dates of the rows just written join those of the rows deleted (changes). #}
{% macro usage_attributed_increment_finish() -%}
    {%- if execute -%}
        {%- if is_incremental() -%}
            {%- set added -%}
                insert into {{ increment_relation(this, 'changes') }} (usage_date)
                select distinct target.usage_date
                from {{ this }} as target
                inner join {{ increment_relation(this, 'scope') }} as scope
                    on
                        target.source_dataset = scope.source_dataset
                        and target._source_file = scope._source_file
                        and target._file_sha256 = scope._file_sha256
                        and target._line = scope._line
            {%- endset -%}
            {%- do run_query(added) -%}
        {%- else -%}
            {%- do adapter.drop_relation(increment_relation(this, 'changes')) -%}
            {%- do increment_full_build_state(
                increment_consumed(usage_attributed_upstreams(), usage_attributed_dimensions())) -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{# ---- fct_ai_usage: usage dates in ------------------------------------------------------------------- #}

{#
    fct_ai_usage carries a contract, and dbt checks a contract on a connection of its own, which does not see
    what the pre_hook wrote in the model's transaction: its rows are chosen from tables committed before it
    (int_usage__attributed and the usage dates that changed there), by the same plan at compile time and in
    the pre_hook (nothing it reads changes in between).
#}
{% macro usage_totals_plan() -%}
    {{ return(increment_plan(increment_state(this), {'int_usage__attributed': ref('int_usage__attributed')}, {})) }}
{%- endmacro %}


{% macro usage_totals_rows() -%}
    {%- set attributed = ref('int_usage__attributed') -%}
    {%- if increment_active() -%}
        {%- set plan = usage_totals_plan() -%}
        {%- if plan.rebuild -%}
            {{ attributed }}
        {%- elif plan.scoped -%}
            (select * from {{ attributed }}
            where usage_date in (select usage_date from {{ increment_relation(attributed, 'changes') }})) as scoped_rows
        {%- else -%}
            (select * from {{ attributed }} where 1 = 0) as scoped_rows
        {%- endif -%}
    {%- else -%}
        {{ attributed }}
    {%- endif -%}
{%- endmacro %}


{% macro usage_totals_increment_prepare() -%}
    {%- if increment_active() -%}
        {%- set state = increment_state(this) -%}
        {%- set plan = usage_totals_plan() -%}
        {%- if plan.rebuild -%}
            {%- do run_query('delete from ' ~ this) -%}
        {%- elif plan.scoped -%}
            {%- do run_query(increment_delete_sql(
                increment_relation(ref('int_usage__attributed'), 'changes'), ['usage_date'])) -%}
        {%- endif -%}
        {%- do increment_write_state(state, plan.rebuild, plan.consumed) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{% macro usage_totals_increment_finish() -%}
    {%- if execute and not is_incremental() -%}
        {%- do increment_full_build_state(increment_consumed({'int_usage__attributed': ref('int_usage__attributed')}, {})) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{# ---- fct_landing_repeats: per dataset, the keys its staging model staged again ---------------------- #}

{#
    fct_landing_repeats carries a contract, so (as for fct_ai_usage) its rows are chosen from committed tables
    by one plan, at compile time and in its pre_hook: per dataset `same` (its staging model has not run since),
    `scope` (it ran one incremental batch: the keys of that batch's landing copies) or `all` (a dataset whose
    staging model is a table, rebuilt, or ran batches this model missed; new code).
#}
{% macro landing_repeats_plan() -%}
    {%- set state = increment_state(this) if increment_active() else none -%}
    {%- set stale = increment_state_stale(state) -%}
    {%- set modes = {} -%}
    {%- set consumed = {} -%}
    {%- for c in landing_contracts() if c.repeats != 'positional' -%}
        {%- set key = c.system ~ '/' ~ c.name -%}
        {%- set staging = ref('stg_' ~ c.system ~ '__' ~ c.name) -%}
        {%- set node = graph.nodes.get('model.' ~ project_name ~ '.stg_' ~ c.system ~ '__' ~ c.name) if execute else none -%}
        {%- set upstream = increment_state(staging)
            if execute and node and node.config.materialized == 'incremental' else none -%}
        {%- do consumed.update({key: upstream.batch if upstream else none}) -%}
        {%- set step = increment_upstream_step(upstream, state.consumed.get(key) if state else none) -%}
        {%- if stale or upstream is none or step == 'rebuild' -%}
            {%- do modes.update({key: ('all', staging)}) -%}
        {%- elif step == 'scope' -%}
            {%- do modes.update({key: ('scope', staging)}) -%}
        {%- else -%}
            {%- do modes.update({key: ('same', staging)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'modes': modes, 'consumed': consumed}) }}
{%- endmacro %}


{# The landing copies fct_landing_repeats reads of one dataset, as landed_rows() takes them. #}
{% macro landing_repeats_scope(mode) -%}
    {{ return('all' if mode[0] == 'all' else increment_relation(mode[1], 'scope')) }}
{%- endmacro %}


{% macro landing_repeats_increment_prepare() -%}
    {%- if increment_active() -%}
        {%- set state = increment_state(this) -%}
        {%- set plan = landing_repeats_plan() -%}
        {%- for c in landing_contracts() if c.repeats != 'positional' -%}
            {%- set key = c.system ~ '/' ~ c.name -%}
            {%- set mode = plan.modes[key] -%}
            {%- if mode[0] == 'all' -%}
                {%- do run_query("delete from " ~ this ~ " where dataset = '" ~ key ~ "'") -%}
            {%- elif mode[0] == 'scope' -%}
                {%- set delete -%}
                    delete from {{ this }}
                    where
                        dataset = '{{ key }}'
                        and natural_key_value in (
                            select {{ repeat_key_text(c.natural_key) }}
                            from {{ landed_rows(c.system, c.name, landing_repeats_scope(mode)) }} as landed
                        )
                {%- endset -%}
                {%- do run_query(delete) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do increment_write_state(state, false, plan.consumed) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{% macro landing_repeats_increment_finish() -%}
    {%- if execute and not is_incremental() -%}
        {%- do increment_full_build_state(landing_repeats_plan().consumed) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{# ---- int_identity__iam_keys, int_identity__activity_keys: staging files in, per-file rows out ---------- #}

{#
    The incremental staging models the observed-key models read, by the source dataset their rows name. Their
    rows are per source file, so a night computes again the files its upstreams' last batches touched: the files
    of each scope's landing copies (every copy of the keys staged again: new files and the older files holding
    copies of the same keys), from every row of those files still staged. Their other sources (the AWS credential
    report, the secrets inventory, work items: tables built whole every night) are computed again whole.
    `datasets` names the model's own incremental upstreams.
#}
{% macro observed_keys_upstreams(datasets) -%}
    {#- each dataset's staging model (`stg_<system>__<name>`), referenced only for the datasets asked for, so a
        model depends on its own upstreams alone -#}
    {%- set upstreams = {} -%}
    {%- for name in datasets -%}
        {%- do upstreams.update({name: ref('stg_' ~ name.replace('/', '__'))}) -%}
    {%- endfor -%}
    {{ return(upstreams) }}
{%- endmacro %}


{# The staged rows of one incremental upstream an incremental build reads: every row of the files in its scope. #}
{% macro observed_keys_rows(dataset) -%}
    {%- set relation = observed_keys_upstreams([dataset])[dataset] -%}
    {%- if increment_active() -%}
        (select upstream.*
        from {{ relation }} as upstream
        where upstream._source_file in (
            select scope._source_file
            from {{ increment_relation(this, 'scope') }} as scope
            where scope.source_dataset = '{{ dataset }}'
        )) as scoped_rows
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}


{% macro observed_keys_increment_prepare(datasets) -%}
    {%- if increment_active() -%}
        {%- set state = increment_state(this) -%}
        {%- set upstreams = observed_keys_upstreams(datasets) -%}
        {%- set plan = increment_plan(state, upstreams, {}) -%}
        {%- set scope -%}
            select
                cast(null as {{ dbt.type_string() }}) as source_dataset,
                cast(null as {{ dbt.type_string() }}) as _source_file
            where 1 = 0
            {%- for name, relation in upstreams.items() if plan.rebuild or name in plan.scoped %}
            union
            select '{{ name }}', _source_file
            from {{ relation if plan.rebuild else increment_relation(relation, 'scope') }}
            {%- endfor %}
        {%- endset -%}
        {%- set scope_rel = increment_relation(this, 'scope') -%}
        {%- do increment_replace(scope_rel, scope) -%}
        {%- if plan.rebuild -%}
            {%- do run_query('delete from ' ~ this) -%}
        {%- else -%}
            {%- do run_query(increment_delete_sql(scope_rel, ['source_dataset', '_source_file'])) -%}
            {%- do run_query('delete from ' ~ this ~ " where source_dataset not in ('"
                             ~ (upstreams.keys() | join("', '")) ~ "')") -%}
        {%- endif -%}
        {%- do increment_write_state(state, plan.rebuild, plan.consumed) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{% macro observed_keys_increment_finish(datasets) -%}
    {%- if execute and not is_incremental() -%}
        {%- do increment_full_build_state(increment_consumed(observed_keys_upstreams(datasets), {})) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#
    The observed-key models' rows: one per key, anchor, kind hint, dataset and source file, from a relation of
    per-record keys (key and anchor types and values, kind hint, source dataset, first and last seen, file, line).
#}
{% macro observed_keys_per_file(relation) -%}
    select
        key_type,
        key_value,
        anchor_key_type,
        anchor_key_value,
        kind_hint,
        source_dataset,
        _source_file,
        count(*) as observation_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        min(_line) as first_line
    from {{ relation }}
    group by
        key_type,
        key_value,
        anchor_key_type,
        anchor_key_value,
        kind_hint,
        source_dataset,
        _source_file
{%- endmacro %}
