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
