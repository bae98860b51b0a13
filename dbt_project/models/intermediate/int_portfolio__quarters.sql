-- The portfolio's rows: every AI system of dim_ai_system x calendar quarter in which any ledger has a row, with
-- the system's first efficiency month (the start of its finance views). Description: _portfolio__models.yml.

with

systems as (

    select * from {{ ref('dim_ai_system') }}

),

efficiency as (

    select * from {{ ref('fct_efficiency_roi') }}

),

productivity as (

    select * from {{ ref('fct_productivity_roi') }}

),

defensive as (

    select * from {{ ref('fct_defensive_roi') }}

),

periods as (

    select distinct
        ai_system_id,
        cast({{ dbt.date_trunc('quarter', 'month') }} as date) as quarter_start
    from efficiency
    union
    select distinct
        ai_system_id,
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start
    from productivity
    union
    select distinct
        ai_system_id,
        quarter_start
    from defensive

),

efficiency_start as (

    select
        ai_system_id,
        min(month) as first_efficiency_month
    from efficiency
    group by ai_system_id

),

final as (

    select
        periods.ai_system_id,
        periods.quarter_start,
        cast({{ dbt.dateadd('month', 3, 'periods.quarter_start') }} as date) as quarter_end_exclusive,
        efficiency_start.first_efficiency_month
    from periods
    inner join systems
        on periods.ai_system_id = systems.ai_system_id
    left join efficiency_start
        on periods.ai_system_id = efficiency_start.ai_system_id

)

select * from final
