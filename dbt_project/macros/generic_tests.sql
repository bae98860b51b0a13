{#
    accepted_range(min_value, max_value, inclusive=true): every non-NULL value lies within the bounds
    (either bound may be omitted). Fails with the offending rows.
#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with checked as (
    select {{ column_name }} as checked_value
    from {{ model }}
    where {{ column_name }} is not null
)

select checked_value
from checked
where
    1 = 0
    {%- if min_value is not none %}
        or checked_value {{ '<' if inclusive else '<=' }} {{ min_value }}
    {%- endif %}
    {%- if max_value is not none %}
        or checked_value {{ '>' if inclusive else '>=' }} {{ max_value }}
    {%- endif %}

{% endtest %}


{#
    not_null_columns(column_names): none of the columns holds a NULL: dbt's not_null for several columns of one
    model in one test (a dbt test node costs about 25 ms of dbt's own work whatever its query, and one per
    column made 313 of a night's 510 tests). Fails with one row per NULL cell: the column's name
    (`null_column`) and the whole row, so a staging row names its file and line. One scan counts every
    column's NULLs; a column's NULL rows are selected only when its count is above zero.
#}
{% test not_null_columns(model, column_names) %}

with null_counts as (
    select
        {%- for column in column_names %}
        count(*) - count({{ adapter.quote(column) }}) as {{ adapter.quote('nulls_' ~ loop.index) }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column in column_names -%}
select
    '{{ column }}' as null_column,
    checked.*
from {{ model }} as checked
inner join null_counts on null_counts.{{ adapter.quote('nulls_' ~ loop.index) }} > 0
where checked.{{ adapter.quote(column) }} is null
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
