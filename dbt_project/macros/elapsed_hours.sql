{#
    elapsed_hours(start_ts, end_ts): hours from start_ts to end_ts as a double, NULL unless end_ts is after
    start_ts (the Four Keys rule: non-positive durations are ignored). Counts seconds through dbt.datediff,
    so it stays portable (see docs/PORTABILITY.md on Spark's hour rounding).
#}
{% macro elapsed_hours(start_ts, end_ts) -%}
    case
        when {{ end_ts }} > {{ start_ts }}
            then cast({{ dbt.datediff(start_ts, end_ts, 'second') }} as {{ double_type() }}) / 3600.0
    end
{%- endmacro %}
