-- Seat days per AI seat product x team x month: the days seats were held, used and idle, and what the seats
-- cost. Held seat days: GitHub Copilot seats from their assignment to the as-of day (or their pending
-- cancellation; a seat removed since: to its last export's day), Cursor member days (every team member is
-- listed each day, active or not); Claude Code lists its active users only, so its held and idle days are
-- NULL. Active seat days: fct_ai_usage seat days. Seat cost: the AI system's SaaS licence billed in the
-- month, shared among teams by held seat days (else active ones); NULL when no licence is exported.

with

usage_facts as (

    select * from {{ ref('fct_ai_usage') }}
    where source_dataset in ('ai/github_copilot_usage', 'ai/cursor_daily_usage', 'ai/claude_code_usage')

),

snapshots as (

    select * from {{ ref('int_ai_seats__snapshots') }}

),

markers as (

    select * from {{ ref('int_ai_system__markers') }}
    where marker_type = 'ai_product'

),

licences as (

    select * from {{ ref('stg_billing__saas_licences') }}
    where ai_system_id is not null

),

as_of as (

    select {{ spine_as_of_date() }} as as_of_date

),

offsets as (

    {{ integer_series('month_offset') }}

),

-- Copilot seats, one row per seat and month held: the days of the month within the holding
copilot_holdings as (

    select
        markers.ai_system_id,
        coalesce(snapshots.owner_team, 'unknown') as owner_team,
        cast(snapshots.seat_created_at as date) as held_from,
        case
            when not snapshots.is_latest_export then snapshots.snapshot_date
            when snapshots.pending_cancellation_date < as_of.as_of_date then snapshots.pending_cancellation_date
            else as_of.as_of_date
        end as held_to
    from snapshots
    cross join as_of
    inner join markers
        on markers.marker_value = '{{ spine_product_prefix() }}' || snapshots.product
    where snapshots.is_seat_latest_copy

),

copilot_months as (

    select
        copilot_holdings.ai_system_id,
        copilot_holdings.owner_team,
        cast({{ dbt.dateadd('month', 'offsets.month_offset',
                            dbt.date_trunc('month', 'copilot_holdings.held_from')) }} as date) as usage_month,
        copilot_holdings.held_from,
        copilot_holdings.held_to
    from copilot_holdings
    inner join offsets
        on offsets.month_offset <= {{ dbt.datediff('copilot_holdings.held_from', 'copilot_holdings.held_to', 'month') }}
    where copilot_holdings.held_to >= copilot_holdings.held_from

),

held as (

    select
        ai_system_id,
        owner_team,
        usage_month,
        sum(
            {{ dbt.datediff(
                'case when held_from > usage_month then held_from else usage_month end',
                'case when held_to < ' ~ dbt.last_day('usage_month', 'month') ~ ' then held_to else '
                    ~ dbt.last_day('usage_month', 'month') ~ ' end',
                'day') }} + 1
        ) as held_seat_days
    from copilot_months
    group by ai_system_id, owner_team, usage_month

    union all

    select
        ai_system_id,
        coalesce(owner_team, 'unknown') as owner_team,
        cast({{ dbt.date_trunc('month', 'usage_date') }} as date) as usage_month,
        sum(usage_record_count) as held_seat_days
    from usage_facts
    where source_dataset = 'ai/cursor_daily_usage'
    group by ai_system_id, coalesce(owner_team, 'unknown'), cast({{ dbt.date_trunc('month', 'usage_date') }} as date)

),

active as (

    select
        ai_system_id,
        coalesce(owner_team, 'unknown') as owner_team,
        cast({{ dbt.date_trunc('month', 'usage_date') }} as date) as usage_month,
        {{ sorted_distinct_listagg('source_dataset') }} as source_datasets,
        sum(seat_days) as active_seat_days
    from usage_facts
    group by ai_system_id, coalesce(owner_team, 'unknown'), cast({{ dbt.date_trunc('month', 'usage_date') }} as date)

),

grid as (

    select
        coalesce(active.ai_system_id, held.ai_system_id) as ai_system_id,
        coalesce(active.owner_team, held.owner_team) as owner_team,
        coalesce(active.usage_month, held.usage_month) as usage_month,
        active.source_datasets,
        coalesce(active.active_seat_days, 0) as active_seat_days,
        held.held_seat_days
    from active
    full outer join held
        on
            active.ai_system_id = held.ai_system_id
            and active.owner_team = held.owner_team
            and active.usage_month = held.usage_month

),

licence_months as (

    select
        ai_system_id,
        cast({{ dbt.date_trunc('month', 'billing_period_start') }} as date) as usage_month,
        min(currency) as currency,
        sum(billed_amount) as billed_amount
    from licences
    group by ai_system_id, cast({{ dbt.date_trunc('month', 'billing_period_start') }} as date)

),

system_months as (

    select
        ai_system_id,
        usage_month,
        sum(coalesce(held_seat_days, active_seat_days)) as shared_days
    from grid
    group by ai_system_id, usage_month

),

final as (

    select
        {{ surrogate_key(['grid.ai_system_id', 'grid.owner_team', 'grid.usage_month']) }} as seat_days_key,
        grid.ai_system_id,
        grid.owner_team,
        grid.usage_month,
        cast(grid.held_seat_days as bigint) as held_seat_days,
        cast(grid.active_seat_days as bigint) as active_seat_days,
        cast(
            case
                when grid.held_seat_days > grid.active_seat_days then grid.held_seat_days - grid.active_seat_days
                when grid.held_seat_days is not null then 0
            end as bigint
        ) as idle_seat_days,
        {{ money_divide(
            'licence_months.billed_amount * coalesce(grid.held_seat_days, grid.active_seat_days)',
            'nullif(system_months.shared_days, 0)') }} as seat_cost,
        licence_months.currency as seat_cost_currency,
        grid.source_datasets
    from grid
    inner join system_months
        on grid.ai_system_id = system_months.ai_system_id and grid.usage_month = system_months.usage_month
    left join licence_months
        on grid.ai_system_id = licence_months.ai_system_id and grid.usage_month = licence_months.usage_month

)

select * from final
