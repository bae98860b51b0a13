-- Incremental (macros/increments.sql): per dataset, a night lists again the copies of the keys its staging
-- model staged again; datasets whose staging model is a table are listed again whole.

{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    pre_hook="{{ landing_repeats_increment_prepare() }}",
    post_hook="{{ landing_repeats_increment_finish() }}"
) }}

{%- set datasets = [] -%}
{%- for c in landing_contracts() if c.repeats != 'positional' -%}
    {%- do datasets.append(c) -%}
{%- endfor -%}
{%- set plan = landing_repeats_plan() -%}

with

{% for c in datasets %}
    {{ c.system }}__{{ c.name }} as (

        select
            '{{ c.system }}/{{ c.name }}' as dataset,
            '{{ c.repeats }}' as repeat_rule,
            {{ repeat_key_text(c.natural_key) }} as natural_key_value,
            _copy_status as copy_status,
            cast(_copy_number as bigint) as copy_number,
            _copies as copies,
            {%- if c.money_fields %}
                cast({{ adapter.quote(c.money_fields[0]) }} as {{ money_type() }}) as amount,
                {{ repeat_currency(c) }} as currency,
            {%- else %}
                cast(null as {{ money_type() }}) as amount,
                cast(null as {{ dbt.type_string() }}) as currency,
            {%- endif %}
            _source_file,
            _file_sha256,
            _line
        {%- set mode = plan.modes[c.system ~ '/' ~ c.name] %}
        from ({{ repeated_copies(c.system, c.name, landing_repeats_scope(mode)) }}) as copies
        where _copies > 1{{ ' and 1 = 0' if mode[0] == 'same' }}

    ),

{% endfor %}
unioned as (

    {% for c in datasets %}
        select * from {{ c.system }}__{{ c.name }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

copy_lists as (

    select
        dataset,
        natural_key_value,
        {{ dbt.listagg(
            dbt.concat(["_source_file", "':'", "cast(_line as " ~ dbt.type_string() ~ ")",
                        "' ('", "copy_status", "')'"]),
            "'; '",
            "order by copy_number") }} as copies_at
    from unioned
    group by dataset, natural_key_value

),

final as (

    select
        {{ surrogate_key(['unioned.dataset', 'unioned._source_file', 'unioned._file_sha256',
                          'unioned._line']) }} as repeat_copy_key,
        unioned.dataset,
        unioned.repeat_rule,
        unioned.natural_key_value,
        unioned.copy_status,
        unioned.copy_number,
        unioned.copies,
        copy_lists.copies_at,
        unioned.amount,
        unioned.currency,
        unioned._source_file,
        unioned._file_sha256,
        unioned._line
    from unioned
    inner join copy_lists
        on
            unioned.dataset = copy_lists.dataset
            and unioned.natural_key_value = copy_lists.natural_key_value

)

select * from final
