{#
    Increments: the event models that only grow are `incremental`, and an incremental build equals a full
    refresh row for row (tests/integration/test_incremental.py). A night then stages, attributes and totals
    the rows its new files bring, not the whole history.

    Every incremental model M keeps, in schema `increments` (never published):
    - `M__state`, one row: `batch` (the dbt invocation that last built M), `previous_batch`, `rebuilt` (that
      build recomputed everything), `code_version` (dbt var set by the pipeline: a hash of its SQL, macros and
      Python; new code rebuilds) and `consumed` (JSON: the upstream batches and dimension hashes it read);
    - `M__scope`, what its last incremental build recomputed: landing copies (staging models), staging rows
      (int_usage__attributed; its `__changes`: the usage dates of the rows it deleted or wrote, which
      fct_ai_usage totals again);
    - staging models also `M__files`: the landed files (path, SHA-256) their rows come from.
    The protocol and the staging rules are here; each downstream model's plan is in increments_models.sql.

    The rules, each exact:
    - staging (landing_increment_*): repeats are resolved per natural key, so a key's staged row depends only on
      its landed copies. The keys a night recomputes are those with a copy in a file M has not read; M deletes
      its rows from every copy of those keys and stages them again from all their copies. A landed file M read
      and that is no longer landed (a restatement, a lost landing file) rebuilds M.
    - downstream models read their upstream's scope when they have read every batch before it (upstream's
      `previous_batch` is what they consumed), else they rebuild; an upstream that rebuilt rebuilds them. A
      change of a dimension they join (a hash of the rows they read) rebuilds them.
    - `roi-ledger run --full-refresh` (dbt --full-refresh) rebuilds every model; states are rewritten.
    Incremental models read no dbt var that changes by night (as_of): a drift test holds this.
#}

{# An incremental build of the model being run (not a first or full build, not a parse, not a unit test,
   which dbt runs without the model's relation). #}
{% macro increment_active() -%}
    {{ return(execute and this is not none and model.resource_type == 'model' and is_incremental()) }}
{%- endmacro %}


{% macro increments_schema() -%}
    {{ return('increments') }}
{%- endmacro %}


{% macro increment_relation(model_relation, suffix) -%}
    {{ return(api.Relation.create(database=model_relation.database, schema=increments_schema(),
                                  identifier=model_relation.identifier ~ '__' ~ suffix, type='table')) }}
{%- endmacro %}


{% macro sql_text(value) -%}
    {%- if value is none -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        cast('{{ value | string | replace("'", "''") }}' as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{# The state of an incremental model (a relation), or none when it has none (never built incrementally). #}
{% macro increment_state(model_relation) -%}
    {%- set rel = increment_relation(model_relation, 'state') -%}
    {%- if not increment_table_exists(rel) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query('select batch, previous_batch, rebuilt, code_version, consumed from ' ~ rel).rows -%}
    {%- if rows | length != 1 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({'batch': rows[0][0], 'previous_batch': rows[0][1], 'rebuilt': rows[0][2],
               'code_version': rows[0][3], 'consumed': fromjson(rows[0][4] or '{}')}) }}
{%- endmacro %}


{# True when a model's own state cannot be continued: none yet, or built by other code. #}
{% macro increment_state_stale(state) -%}
    {{ return(state is none or state.code_version != var('code_version')) }}
{%- endmacro %}


{# Whether a table of schema `increments` exists (asked of the database: dbt's relation cache does not hold
   that schema). #}
{% macro increment_table_exists(rel) -%}
    {{ return(adapter.dispatch('increment_table_exists', 'ai_roi_ledger')(rel)) }}
{%- endmacro %}

{% macro default__increment_table_exists(rel) -%}
    {%- set sql -%}
        select count(*) from information_schema.tables
        where table_schema = '{{ rel.schema }}' and table_name = '{{ rel.identifier }}'
    {%- endset -%}
    {{ return(run_query(sql).rows[0][0] > 0) }}
{%- endmacro %}

{# Spark has no information_schema: its catalog answers SHOW TABLES. #}
{% macro spark__increment_table_exists(rel) -%}
    {{ return(run_query("show tables in " ~ rel.schema ~ " like '" ~ rel.identifier ~ "'").rows | length > 0) }}
{%- endmacro %}


{# Not dbt's create_table_as: that would check the calling model's contract against these tables. #}
{% macro increment_replace(rel, sql) -%}
    {%- do adapter.drop_relation(rel) -%}
    {%- do run_query('create table ' ~ rel ~ ' as ' ~ sql) -%}
{%- endmacro %}


{% macro increment_write_state(previous, rebuilt, consumed) -%}
    {%- set sql -%}
        select
            {{ sql_text(invocation_id) }} as batch,
            {{ sql_text(previous.batch if previous else none) }} as previous_batch,
            {{ 'true' if rebuilt else 'false' }} as rebuilt,
            {{ sql_text(var('code_version')) }} as code_version,
            {{ sql_text(tojson(consumed, sort_keys=true)) }} as consumed
    {%- endset -%}
    {%- do increment_replace(increment_relation(this, 'state'), sql) -%}
{%- endmacro %}


{#
    What a downstream model reads of one upstream incremental model: 'same' (nothing new since it read it),
    'scope' (exactly one new batch: read the upstream's scope) or 'rebuild'.
#}
{% macro increment_upstream_step(upstream_state, consumed_batch) -%}
    {%- if upstream_state is none -%}
        {{ return('rebuild') }}
    {%- elif upstream_state.batch == consumed_batch -%}
        {{ return('same') }}
    {%- elif upstream_state.previous_batch == consumed_batch and not upstream_state.rebuilt -%}
        {{ return('scope') }}
    {%- else -%}
        {{ return('rebuild') }}
    {%- endif -%}
{%- endmacro %}


{# One hash of a relation's rows (the columns named), order-free: a dimension a downstream model joins. #}
{% macro increment_rows_hash(relation, columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ adapter.quote(column) ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {%- set sql -%}
        select {{ dbt.hash(dbt.listagg('row_text', "';'", 'order by row_text')) }}
        from (select {{ dbt.concat(parts) }} as row_text from {{ relation }}) as rows_
    {%- endset -%}
    {{ return(run_query(sql).rows[0][0] or 'empty') }}
{%- endmacro %}


{# ---- staging: one landed dataset ---------------------------------------------------------------------- #}

{#
    The landing rows a build reads (deduplicated_landing() and landing_copies() read through this): with `scope`
    none, those of the incremental staging model being built (every copy of the keys in its scope; the whole
    landing on a first or full build); 'all', the whole landing; a relation, the copies it lists.
#}
{% macro landed_rows(system, name, scope=none) -%}
    {%- set scope_rel = increment_relation(this, 'scope') if scope is none and increment_active() else scope -%}
    {%- if scope_rel is none or scope_rel == 'all' -%}
        {{ source(system, name) }}
    {%- else -%}
        (select landed.*
        from {{ source(system, name) }} as landed
        inner join {{ scope_rel }} as scope
            on
                landed._source_file = scope._source_file
                and landed._file_sha256 = scope._file_sha256
                and landed._line = scope._line)
    {%- endif -%}
{%- endmacro %}


{# pre_hook of an incremental staging model: its scope, its stale rows deleted, its state. #}
{% macro landing_increment_prepare(system, name) -%}
    {%- if increment_active() -%}
        {%- set c = landing_contract(system, name) -%}
        {%- set land = source(system, name) -%}
        {%- set state = increment_state(this) -%}
        {%- set files = increment_relation(this, 'files') -%}
        {%- set rebuild = increment_state_stale(state)
            or not increment_table_exists(files) -%}
        {%- if not rebuild -%}
            {%- set gone -%}
                select count(*) from (
                    select _source_file, _file_sha256 from {{ files }}
                    except
                    select distinct _source_file, _file_sha256 from {{ land }}
                ) as gone
            {%- endset -%}
            {%- set rebuild = run_query(gone).rows[0][0] > 0 -%}
        {%- endif -%}
        {%- set scope -%}
            {%- if rebuild %}
            select _source_file, _file_sha256, _line from {{ land }}
            {%- else %}
            with new_files as (
                select distinct _source_file, _file_sha256 from {{ land }}
                except
                select _source_file, _file_sha256 from {{ files }}
            ),
            new_keys as (
                select distinct keyed._key
                from (
                    select
                        {{ repeat_key_text(c.natural_key) }} as _key,
                        _source_file,
                        _file_sha256
                    from {{ land }}
                ) as keyed
                inner join new_files
                    on
                        keyed._source_file = new_files._source_file
                        and keyed._file_sha256 = new_files._file_sha256
            )
            select _source_file, _file_sha256, _line
            from {{ land }}
            where {{ repeat_key_text(c.natural_key) }} in (select _key from new_keys)
            {%- endif %}
        {%- endset -%}
        {%- set scope_rel = increment_relation(this, 'scope') -%}
        {%- do increment_replace(scope_rel, scope) -%}
        {%- if rebuild -%}
            {%- do run_query('delete from ' ~ this) -%}
        {%- else -%}
            {%- do run_query(increment_delete_sql(scope_rel, ['_source_file', '_file_sha256', '_line'])) -%}
        {%- endif -%}
        {%- do increment_write_state(state, rebuild, {}) -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{# post_hook of an incremental staging model: the files it has read; a state after a full build. #}
{% macro landing_increment_finish(system, name) -%}
    {%- if execute -%}
        {%- do increment_replace(increment_relation(this, 'files'),
            'select distinct _source_file, _file_sha256 from ' ~ source(system, name)) -%}
        {%- if not is_incremental() -%}
            {%- do increment_full_build_state() -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{# After a full (not incremental) build: state `rebuilt`, no scope. #}
{% macro increment_full_build_state(consumed={}) -%}
    {%- do adapter.drop_relation(increment_relation(this, 'scope')) -%}
    {%- do increment_write_state(increment_state(this), true, consumed) -%}
{%- endmacro %}


{# Rows of this model whose columns match a row of the scope relation (on the columns named) are deleted. #}
{% macro increment_delete_sql(scope_rel, columns) -%}
    delete from {{ this }} as target
    using {{ scope_rel }} as scope
    where
    {%- for column in columns %}
        target.{{ adapter.quote(column) }} = scope.{{ adapter.quote(column) }}{{ ' and' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#
    The scope of an incremental staging model's last batch when the rest of its table is what the last published
    release vouched for: its `previous_batch` is the batch that release holds (the release step records them in
    `audit.releases.published_batches`) and it did not rebuild. A release is published only when every blocking
    test passed on the batches it holds, so a rule that only rows written since can break (a key staged twice)
    needs to look at those rows alone. Else none: a first or full build, a rebuild, a night after a blocked or
    failed one.
#}
{% macro increment_scope_since_release(model_relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = increment_state(model_relation) -%}
    {%- set scope = increment_relation(model_relation, 'scope') -%}
    {%- if state is none or state.rebuilt or state.previous_batch is none or not increment_table_exists(scope) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set releases = api.Relation.create(database=model_relation.database, schema='audit', identifier='releases') -%}
    {%- set recorded -%}
        select count(*) from information_schema.columns
        where table_schema = 'audit' and table_name = 'releases' and column_name = 'published_batches'
    {%- endset -%}
    {%- if run_query(recorded).rows[0][0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set last -%}
        select published_batches from {{ releases }} where status = 'published' order by created_at desc limit 1
    {%- endset -%}
    {%- set rows = run_query(last).rows -%}
    {%- if rows | length == 0 or rows[0][0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if fromjson(rows[0][0]).get(model_relation.schema ~ '.' ~ model_relation.identifier) != state.previous_batch -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(scope) }}
{%- endmacro %}


{# ---- downstream models ------------------------------------------------------------------------------ #}

{#
    The rows of an upstream relation an incremental build reads: those matching its scope on the columns
    named (and, with `dataset`, the scope rows of that source dataset), as a subquery with its alias; the
    whole relation on a full build.
#}
{% macro increment_rows(relation, columns, dataset=none) -%}
    {%- if increment_active() -%}
        (select upstream.*
        from {{ relation }} as upstream
        inner join {{ increment_relation(this, 'scope') }} as scope
            on
            {%- if dataset is not none %}
                scope.source_dataset = '{{ dataset }}' and
            {%- endif %}
            {%- for column in columns %}
                upstream.{{ adapter.quote(column) }} = scope.{{ adapter.quote(column) }}{{ ' and' if not loop.last }}
            {%- endfor %}) as scoped_rows
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}


{#
    What a downstream model consumes now: each upstream's batch and each dimension's hash (a dict), and how
    (`rebuild`, or the list of upstream names whose scope it reads). `upstreams`: name -> relation (incremental
    models); `dimensions`: name -> (relation, columns).
#}
{% macro increment_plan(state, upstreams, dimensions) -%}
    {%- set ns = namespace(rebuild=increment_state_stale(state), scoped=[]) -%}
    {%- set consumed = {} -%}
    {%- for name, dim in dimensions.items() -%}
        {%- do consumed.update({name: increment_rows_hash(dim[0], dim[1])}) -%}
        {%- if state is not none and state.consumed.get(name) != consumed[name] -%}
            {%- set ns.rebuild = true -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name, relation in upstreams.items() -%}
        {%- set upstream_state = increment_state(relation) -%}
        {%- do consumed.update({name: upstream_state.batch if upstream_state else none}) -%}
        {%- set step = increment_upstream_step(upstream_state, state.consumed.get(name) if state else none) -%}
        {%- if step == 'rebuild' -%}
            {%- set ns.rebuild = true -%}
        {%- elif step == 'scope' -%}
            {%- do ns.scoped.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'rebuild': ns.rebuild, 'scoped': ns.scoped, 'consumed': consumed}) }}
{%- endmacro %}


{# What a full build of a downstream model consumed (its post_hook records it). #}
{% macro increment_consumed(upstreams, dimensions) -%}
    {%- set consumed = {} -%}
    {%- for name, dim in dimensions.items() -%}
        {%- do consumed.update({name: increment_rows_hash(dim[0], dim[1])}) -%}
    {%- endfor -%}
    {%- for name, relation in upstreams.items() -%}
        {%- set upstream_state = increment_state(relation) -%}
        {%- do consumed.update({name: upstream_state.batch if upstream_state else none}) -%}
    {%- endfor -%}
    {{ return(consumed) }}
{%- endmacro %}
