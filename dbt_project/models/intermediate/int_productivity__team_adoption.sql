-- Which team adopted which sanctioned AI system, and when: the first month in which the team's usage of the
-- system (fct_ai_usage requests by identities the team owns, `owner_team`) reaches var
-- `productivity_adoption_min_requests`. Usage-based on purpose: the inventory holds one adoption date per
-- system (dim_ai_system.adoption_date), not per team. Teams never reaching the threshold are non-adopters.
-- A usage owner team literally named `unassigned` is left out: fct_delivery_performance uses that name for
-- delivery rows without a team, which fct_productivity_roi excludes from both groups.

with

usage_facts as (

    select * from {{ ref('fct_ai_usage') }}

),

systems as (

    select * from {{ ref('dim_ai_system') }}
    where is_sanctioned

),

monthly as (

    select
        usage_facts.ai_system_id,
        usage_facts.owner_team as team,
        cast({{ dbt.date_trunc('month', 'usage_facts.usage_date') }} as date) as month_start,
        sum(usage_facts.request_count) as request_count
    from usage_facts
    inner join systems
        on usage_facts.ai_system_id = systems.ai_system_id
    -- `unassigned` is the delivery ledger's label for rows without a team, never an adopting team
    where usage_facts.owner_team is not null and usage_facts.owner_team <> {{ delivery_unassigned_team() }}
    group by
        usage_facts.ai_system_id,
        usage_facts.owner_team,
        cast({{ dbt.date_trunc('month', 'usage_facts.usage_date') }} as date)

),

final as (

    select
        ai_system_id,
        team,
        min(month_start) as adoption_month,
        cast(sum(request_count) as bigint) as request_count_from_adoption
    from monthly
    where request_count >= {{ var('productivity_adoption_min_requests') }}
    group by ai_system_id, team

)

select * from final
