{%- set unlanded_max = var('money_unlanded_max') -%}

with

ingested_files as (

    select * from {{ source('audit', 'ingested_files') }}

),

ingested_money as (

    select * from {{ source('audit', 'ingested_money') }}

),

repeats as (

    select * from {{ ref('fct_landing_repeats') }}

),

cost_lines as (

    select * from {{ ref('fct_cost_lines') }}

),

usage_records as (

    select * from {{ ref('int_usage__attributed') }}
    where source_dataset = 'usage/litellm_spend_logs'

),

current_files as (

    -- the version of each raw file that stands: landed, or rejected whole (superseded, withdrawn and duplicate
    -- files stand for no money of their own)
    select
        dataset,
        source_file,
        file_sha256,
        status,
        message
    from ingested_files
    where status in ('landed', 'rejected')

),

files as (

    -- a landed file's money as ingest read it
    select
        money.dataset,
        money.source_file,
        money.file_sha256,
        money.column_name,
        money.currency,
        current_files.status as file_status,
        money.rows_read,
        money.amount_read,
        money.rows_landed,
        money.amount_landed,
        money.rows_quarantined,
        money.amount_quarantined,
        money.amount_quarantined_abs,
        money.rows_unreadable,
        cast(null as {{ dbt.type_string() }}) as file_message
    from ingested_money as money
    inner join current_files
        on
            money.dataset = current_files.dataset
            and money.source_file = current_files.source_file
            and money.file_sha256 = current_files.file_sha256
    where current_files.status = 'landed'

    union all

    -- a money dataset's file refused whole: nothing of it was read, its money is unknown
    select
        current_files.dataset,
        current_files.source_file,
        current_files.file_sha256,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as currency,
        current_files.status as file_status,
        0 as rows_read,
        cast(0 as {{ money_type() }}) as amount_read,
        0 as rows_landed,
        cast(0 as {{ money_type() }}) as amount_landed,
        0 as rows_quarantined,
        cast(0 as {{ money_type() }}) as amount_quarantined,
        cast(0 as {{ money_type() }}) as amount_quarantined_abs,
        0 as rows_unreadable,
        current_files.message as file_message
    from current_files
    where
        current_files.status = 'rejected'
        and current_files.dataset in ({{ money_datasets_sql() }})

),

reached as (

    {% for dataset, column, relation, amount, currency, label in money_destinations() %}
        {%- set relation = ref(relation) if relation.startswith('stg_') else relation %}
        select
            '{{ dataset }}' as dataset,
            _source_file as source_file,
            '{{ column }}' as column_name,
            {{ currency }} as currency,
            '{{ label }}' as destination,
            sum({{ amount }}) as amount_reached
        from {{ relation }}
        where {{ amount }} is not null
        group by _source_file, {{ currency }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

repeated as (

    -- money of copies staging did not keep: collapsed into an identical copy, superseded by a newer file, or
    -- quarantined because copies differ (the repeats model totals each dataset's first money field)
    select
        dataset,
        _source_file as source_file,
        currency,
        sum(case when copy_status = 'collapsed' then amount end) as amount_collapsed,
        sum(case when copy_status = 'superseded' then amount end) as amount_superseded,
        sum(case when copy_status = 'quarantined' then amount end) as amount_repeat_quarantined,
        sum(case when copy_status = 'quarantined' then abs(amount) end) as amount_repeat_quarantined_abs,
        count(case when copy_status = 'quarantined' then 1 end) as rows_repeat_quarantined
    from repeats
    where amount is not null
    group by dataset, _source_file, currency

),

compared as (

    select
        files.*,
        reached.destination,
        coalesce(reached.amount_reached, 0) as amount_reached,
        coalesce(repeated.amount_collapsed, 0) as amount_collapsed,
        coalesce(repeated.amount_superseded, 0) as amount_superseded,
        coalesce(repeated.amount_repeat_quarantined, 0) as amount_repeat_quarantined,
        coalesce(repeated.amount_repeat_quarantined_abs, 0) as amount_repeat_quarantined_abs,
        coalesce(repeated.rows_repeat_quarantined, 0) as rows_repeat_quarantined
    from files
    left join reached
        on
            files.dataset = reached.dataset
            and files.source_file = reached.source_file
            and files.column_name = reached.column_name
            and coalesce(files.currency, '') = coalesce(reached.currency, '')
    left join repeated
        on
            files.dataset = repeated.dataset
            and files.source_file = repeated.source_file
            and coalesce(files.currency, '') = coalesce(repeated.currency, '')
            and files.column_name = {{ repeat_money_field_sql('files.dataset') }}

),

measured as (

    select
        *,
        amount_landed - amount_collapsed - amount_superseded - amount_repeat_quarantined - amount_reached
            as amount_missing
    from compared

),

final as (

    select
        {{ surrogate_key(['dataset', 'source_file', 'file_sha256', 'column_name', 'currency']) }}
            as money_check_key,
        dataset,
        source_file,
        file_sha256,
        file_status,
        column_name,
        currency,
        destination,
        rows_read,
        amount_read,
        rows_landed,
        amount_landed,
        rows_quarantined,
        amount_quarantined,
        rows_unreadable,
        amount_collapsed,
        amount_superseded,
        rows_repeat_quarantined,
        amount_repeat_quarantined,
        amount_reached,
        amount_missing,
        coalesce(
            file_status = 'landed'
            and rows_unreadable = 0
            and amount_quarantined_abs + amount_repeat_quarantined_abs + abs(amount_missing) <= {{ unlanded_max }},
            false
        ) as is_complete,
        case
            when file_status = 'rejected'
                then 'file rejected, its money is unknown: ' || coalesce(file_message, '')
            when rows_unreadable > 0
                then cast(rows_unreadable as {{ dbt.type_string() }}) || ' row(s) whose amount cannot be read exactly'
            when amount_quarantined_abs + amount_repeat_quarantined_abs + abs(amount_missing) > {{ unlanded_max }}
                then
                    'quarantined ' || cast(amount_quarantined as {{ dbt.type_string() }})
                    || ', quarantined as differing repeats '
                    || cast(amount_repeat_quarantined as {{ dbt.type_string() }})
                    || ', missing from ' || coalesce(destination, 'its destination') || ' '
                    || cast(amount_missing as {{ dbt.type_string() }})
        end as incomplete_reason
    from measured

)

select * from final
