-- The efficiency ledger's rows: every AI system (registered or shadow) x month, from the system's first evidence
-- (adoption, first cost in FOCUS or a provider's own bill, first sighting) to the as-of month.
-- Description: _ledgers__models.yml.

with

systems as (

    select
        ai_system_id,
        system_type,
        is_sanctioned,
        adoption_date,
        first_seen_at
    from {{ ref('dim_ai_system') }}
    where system_type in ('registered', 'shadow')

),

cost_lines as (

    select * from {{ ref('fct_cost_lines') }}
    where ai_system_id is not null

),

as_of as (

    select cast({{ dbt.date_trunc('month', spine_as_of_date()) }} as date) as as_of_month

),

provider_bills as (

    select * from {{ ref('int_provider_bills__costs') }}
    where ai_system_id is not null

),

first_cost as (

    select
        ai_system_id,
        min(billing_month) as first_cost_month
    from (
        select
            ai_system_id,
            billing_month
        from cost_lines
        union all
        select
            ai_system_id,
            billing_month
        from provider_bills
    ) as billed
    group by ai_system_id

),

bounds as (

    select
        min(cost_lines.billing_month) as first_month,
        max(as_of.as_of_month) as last_month
    from cost_lines
    cross join as_of

),

offsets as (

    {{ integer_series('month_offset') }}

),

months as (

    select cast({{ dbt.dateadd('month', 'offsets.month_offset', 'bounds.first_month') }} as date) as ledger_month
    from bounds
    cross join offsets
    where offsets.month_offset <= {{ dbt.datediff('bounds.first_month', 'bounds.last_month', 'month') }}

),

system_start as (

    select
        systems.ai_system_id,
        systems.system_type,
        systems.is_sanctioned,
        systems.adoption_date,
        case
            when first_cost.first_cost_month is null
                then
                    coalesce(
                        cast({{ dbt.date_trunc('month', 'systems.adoption_date') }} as date),
                        cast({{ dbt.date_trunc('month', 'systems.first_seen_at') }} as date)
                    )
            when systems.adoption_date is null then first_cost.first_cost_month
            when first_cost.first_cost_month < systems.adoption_date then first_cost.first_cost_month
            else cast({{ dbt.date_trunc('month', 'systems.adoption_date') }} as date)
        end as start_month
    from systems
    left join first_cost
        on systems.ai_system_id = first_cost.ai_system_id

),

grid as (

    select
        system_start.ai_system_id,
        system_start.system_type,
        system_start.is_sanctioned,
        system_start.adoption_date,
        months.ledger_month
    from system_start
    inner join months
        on system_start.start_month <= months.ledger_month

)

select * from grid
