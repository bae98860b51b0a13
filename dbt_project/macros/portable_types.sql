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


{#
    money_divide(numerator, denominator): numerator / denominator as money_type(), exactly: the quotient rounded
    half away from zero at the 18th decimal place, on every engine. The denominator must be a whole number (a
    count of months, days, seat days); NULL (nullif(x, 0)) gives NULL. PostgreSQL and Spark divide decimals in
    decimal arithmetic; DuckDB divides them in floating point (DECIMAL / DECIMAL is a DOUBLE), which put
    58.409999999999983616 toil hours where 58.41 was meant, so there the quotient is taken on the decimal's
    scaled integer (HUGEINT), as long division does.
#}
{% macro money_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('money_divide', 'ai_roi_ledger')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__money_divide(numerator, denominator) -%}
    cast(round(cast({{ numerator }} as {{ money_type() }}) / ({{ denominator }}), 18) as {{ money_type() }})
{%- endmacro %}

{% macro duckdb__money_divide(numerator, denominator) -%}
    {%- set scaled = "cast(replace(cast(cast(" ~ numerator ~ " as decimal(38, 18)) as varchar), '.', '') as hugeint)" -%}
    {%- set whole = "cast(" ~ denominator ~ " as hugeint)" -%}
    cast(
        cast(
            sign({{ scaled }}) * sign({{ whole }})
            * ((abs({{ scaled }}) * 2 + abs({{ whole }})) // (2 * abs({{ whole }})))
            as decimal(38, 0)
        ) * cast(0.000000000000000001 as decimal(38, 18))
        as {{ money_type() }}
    )
{%- endmacro %}



{#
    compounded(rate, months): (1 + rate) ^ (months / 12), an annual rate compounded over a number of months, in
    floating point on every engine. Written as `power(1.0 + rate, months / 12.0)` it is not: Spark divides the
    month count by the decimal 12.0 as a decimal rounded to 6 places, and its present values moved in the
    eleventh significant digit against DuckDB's and PostgreSQL's.
#}
{% macro compounded(rate, months) -%}
    power(cast(1 + {{ rate }} as {{ double_type() }}), cast({{ months }} as {{ double_type() }}) / 12)
{%- endmacro %}
