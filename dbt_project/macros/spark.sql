{# Spark only: what the project needs of a Spark session that dbt-spark does not give (orchestration/engine_spark.py). #}


{#
    spark_inputs(): on Spark, the layer's inputs, as the pipeline wrote them before dbt started
    (orchestration/engine_spark.py): numbered statements, one per line, in the file $ROI_LEDGER_SPARK_INPUTS
    (tables over the landed Parquet files, the audit tables, the scenario model's output). Run by dbt's
    on-run-start hook; nothing on other engines, whose inputs are in the database already.
#}
{% macro spark_inputs() -%}
    {{ return(adapter.dispatch('spark_inputs', 'ai_roi_ledger')()) }}
{%- endmacro %}

{% macro default__spark_inputs() -%}
{%- endmacro %}

{% macro spark__spark_inputs() -%}
    {%- set path = env_var('ROI_LEDGER_SPARK_INPUTS', '') -%}
    {%- if execute and path -%}
        {%- set lines = run_query('select value from text.`' ~ path ~ '`').columns[0].values() -%}
        {%- for line in lines | sort -%}
            {%- do run_query(line[7:]) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#
    A contract's YAML types are written in the spellings DuckDB and PostgreSQL share (varchar, double
    precision), which Spark refuses; dbt learns the types a model must match by casting NULL to each, so on
    Spark the cast is to Spark's spelling (string, double). This overrides dbt's own macro on Spark only.
#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set spelled = {} -%}
    {%- for name in columns -%}
        {%- set col = columns[name].copy() -%}
        {%- if col.get('data_type') -%}
            {%- do col.update({'data_type': spark_type_spelling(col['data_type'])}) -%}
        {%- endif -%}
        {%- do spelled.update({name: col}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(spelled)) }}
{% endmacro %}

{% macro spark_type_spelling(data_type) -%}
    {%- set t = data_type | trim | lower -%}
    {%- if t in ('text', 'varchar') or t.startswith('varchar(') or t.startswith('character varying') -%}
        {{ return('string') }}
    {%- elif t == 'double precision' -%}
        {{ return('double') }}
    {%- endif -%}
    {{ return(data_type) }}
{%- endmacro %}


{#
    Seeds on Spark: dbt-spark binds each CSV value as a Python value, which turns a decimal into a float (a
    money amount of 15 places rounded to 17 significant digits) and an empty cell into the text 'None'. Here
    each value is a literal of its text, cast to the column's type, and an empty cell is NULL.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- if value is none -%}
                        cast(null as {{ types[loop.index0] }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ types[loop.index0] }})
                    {%- endif -%}
                    {{- ", " if not loop.last -}}
                {%- endfor -%}){{ "," if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) if loop.first -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}


{#
    dbt.listagg on Spark: dbt-spark drops the ORDER BY (with a warning), so a list's order would follow the
    shuffle. Here the values are collected with their sort key and sorted before joining. The project orders
    every list by one expression, ascending; any other clause is refused when the model compiles. NULLs are
    left out and a group with no value gives NULL, as string_agg does on DuckDB and PostgreSQL (array_join
    would give '').
#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if order_by_clause -%}
        {%- set clause = order_by_clause | trim -%}
        {%- set key = (clause[9:] | trim) if clause.lower().startswith('order by ') else none -%}
        {%- if key and key.lower().endswith(' asc') -%}
            {%- set key = key[:-4] | trim -%}
        {%- endif -%}
        {%- if key is none or key.lower().endswith(' desc') or ',' in key -%}
            {{ exceptions.raise_compiler_error("listagg on Spark sorts by one expression, ascending: not '" ~ order_by_clause ~ "'") }}
        {%- endif -%}
        {%- set collected = "transform(array_sort(collect_list(struct(" ~ key ~ " as k, " ~ measure ~ " as v))), e -> e.v)" -%}
    {%- else -%}
        {%- set collected = "collect_list(" ~ measure ~ ")" -%}
    {%- endif -%}
    case when count({{ measure }}) > 0
        then array_join({{ "slice(" ~ collected ~ ", 1, " ~ limit_num ~ ")" if limit_num else collected }}, {{ delimiter_text }}) end
{%- endmacro %}
