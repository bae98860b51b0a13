{#
    safe_cast(expr, type): cast expr to type, NULL where the value does not convert (instead of an error).
    dbt.safe_cast is a plain cast on DuckDB and PostgreSQL, so a single bad value fails the whole query.
    - DuckDB, Spark: try_cast.
    - PostgreSQL 15 (no try_cast): a regex guard on the text form for numeric, boolean and date/timestamp
      types, then a plain cast. Values outside the type's range (overflow, 2024-02-30) still raise.
    - other adapters: a plain cast.
#}
{% macro safe_cast(expr, type) -%}
    {{ return(adapter.dispatch('safe_cast', 'ai_roi_ledger')(expr, type)) }}
{%- endmacro %}

{% macro default__safe_cast(expr, type) -%}
    cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro duckdb__safe_cast(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro spark__safe_cast(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro postgres__safe_cast(expr, type) -%}
    {%- set t = type | lower -%}
    {%- set txt = "trim(cast(" ~ expr ~ " as text))" -%}
    {%- if 'bool' in t -%}
        case when lower({{ txt }}) in ('t', 'true', 'y', 'yes', 'on', '1', 'f', 'false', 'n', 'no', 'off', '0')
            then cast({{ txt }} as {{ type }}) end
    {%- elif 'interval' in t -%}
        cast({{ expr }} as {{ type }})
    {%- elif 'int' in t -%}
        case when {{ txt }} ~ '^[-+]?[0-9]+$' then cast({{ txt }} as {{ type }}) end
    {%- elif 'numeric' in t or 'decimal' in t or 'double' in t or 'float' in t or 'real' in t -%}
        case when {{ txt }} ~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$'
            then cast({{ txt }} as {{ type }}) end
    {%- elif 'timestamp' in t or t == 'date' -%}
        case when {{ txt }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$'
            then cast({{ txt }} as {{ type }}) end
    {%- else -%}
        cast({{ expr }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
