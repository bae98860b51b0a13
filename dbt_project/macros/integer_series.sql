{#
    integer_series(column): a select of the integers 0 to 999, one row each, in `column`: calendar and
    amortisation month sequences without generate_series (DuckDB/PostgreSQL spell it differently, Spark has
    `sequence`), from three cross-joined digits. Callers filter the range they need.
#}
{% macro integer_series(column) -%}
    {%- set digits -%}
        ({% for d in range(10) %}select {{ d }} as digit{% if not loop.last %} union all {% endif %}{% endfor %})
    {%- endset -%}
    select hundreds.digit * 100 + tens.digit * 10 + units.digit as {{ column }}
    from {{ digits }} as hundreds
    cross join {{ digits }} as tens
    cross join {{ digits }} as units
{%- endmacro %}
