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


{#
    unique_incremental(column_name): dbt's `unique` (no two rows share a non-NULL value; fails with each repeated
    value and its count), on an incremental staging model. When the model's table is what the last published
    release held plus one incremental batch (increment_scope_since_release), a value can only be repeated if a
    row that batch staged holds it: the values of those rows are looked up in the whole table, instead of
    grouping every row (on the large bench's new-day night, 0.3 s instead of 2 s for 10.6M LiteLLM requests).
    Otherwise every row is checked, as `unique` does.
#}
{% test unique_incremental(model, column_name) %}
{%- set scope = increment_scope_since_release(model) -%}

with

{% if scope is not none -%}
written as (

    select distinct batch_rows.{{ column_name }} as unique_field
    from {{ model }} as batch_rows
    inner join {{ scope }} as scope
        on
            batch_rows._source_file = scope._source_file
            and batch_rows._file_sha256 = scope._file_sha256
            and batch_rows._line = scope._line
    where batch_rows.{{ column_name }} is not null

),

{% endif -%}
checked as (

    select {{ column_name }} as unique_field
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if scope is not none %}
        and {{ column_name }} in (select written.unique_field from written)
        {%- endif %}

)

select
    unique_field,
    count(*) as n_records
from checked
group by unique_field
having count(*) > 1

{% endtest %}
