{#
    Portable column types. dbt.type_numeric() is numeric(28,6), which silently rounds 12-15-decimal billing
    amounts, and dbt.type_float() is a 4-byte float on DuckDB and Spark: use these instead.
#}

{# money_type(): decimal(38,18), the type of every money amount (exact sums, never floats). #}
{% macro money_type() -%}
    {{ return(adapter.dispatch('money_type', 'ai_roi_ledger')()) }}
{%- endmacro %}

{% macro default__money_type() -%}
    {{ return(api.Column.numeric_type('decimal', 38, 18)) }}
{%- endmacro %}


{# double_type(): an 8-byte float, for ratios and model outputs (never for money). #}
{% macro double_type() -%}
    {{ return(adapter.dispatch('double_type', 'ai_roi_ledger')()) }}
{%- endmacro %}

{% macro default__double_type() -%}
    {{ return('double precision') }}
{%- endmacro %}

{% macro duckdb__double_type() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro spark__double_type() -%}
    {{ return('double') }}
{%- endmacro %}


{#
    money_from_double(expr, scale=6): a figure computed in floating point (present values, discounted flows,
    scenario quantiles) as money: rounded to `scale` places first, since its last binary digits are noise.
#}
{% macro money_from_double(expr, scale=6) -%}
    cast(cast({{ expr }} as decimal(38, {{ scale }})) as {{ money_type() }})
{%- endmacro %}
