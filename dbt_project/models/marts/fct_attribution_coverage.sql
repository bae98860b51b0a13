-- Attribution coverage of AI usage (docs/METHOD.md section 2): the share of events (model requests)
-- and of cost attributed to a known identity (in the inventory) AND an AI system (registered or shadow) AND
-- an owner team. One row per source dataset and day (grain 'day'), plus one row per source dataset and one
-- for all datasets together (grain 'overall', usage_date NULL). The release gate reads the overall row of
-- all datasets (tests/spine/assert_attribution_coverage_min.sql).

with

usage_facts as (

    select * from {{ ref('fct_ai_usage') }}

),

file_items as (

    select
        source_dataset,
        usage_date,
        {{ spine_explode_list('source_files') }} as source_file
    from usage_facts

),

files as (

    select distinct
        source_dataset,
        usage_date,
        source_file
    from file_items

),

coverage_files as (

    select
        'day' as grain,
        source_dataset,
        usage_date,
        source_file
    from files

    union

    select
        'overall' as grain,
        source_dataset,
        cast(null as date) as usage_date,
        source_file
    from files

    union

    select
        'overall' as grain,
        'all' as source_dataset,
        cast(null as date) as usage_date,
        source_file
    from files

),

file_lists as (

    select
        {{ surrogate_key(['grain', 'source_dataset', 'usage_date']) }} as coverage_key,
        {{ dbt.listagg('source_file', "';'", 'order by source_file') }} as source_files
    from coverage_files
    group by grain, source_dataset, usage_date

),

daily as (

    select
        'day' as grain,
        source_dataset,
        usage_date,
        sum(request_count) as event_count,
        sum(case when is_fully_attributed then request_count else 0 end) as attributed_event_count,
        sum(cost_usd) as cost_usd,
        sum(case when is_fully_attributed then cost_usd else 0 end) as attributed_cost_usd,
        sum(case when is_identity_known then cost_usd else 0 end) as identity_known_cost_usd,
        sum(case when system_type in ('registered', 'shadow') then cost_usd else 0 end) as ai_system_known_cost_usd,
        sum(case when owner_team is not null then cost_usd else 0 end) as owner_team_known_cost_usd
    from usage_facts
    group by source_dataset, usage_date

),

per_dataset as (

    select
        'overall' as grain,
        source_dataset,
        cast(null as date) as usage_date,
        sum(event_count) as event_count,
        sum(attributed_event_count) as attributed_event_count,
        sum(cost_usd) as cost_usd,
        sum(attributed_cost_usd) as attributed_cost_usd,
        sum(identity_known_cost_usd) as identity_known_cost_usd,
        sum(ai_system_known_cost_usd) as ai_system_known_cost_usd,
        sum(owner_team_known_cost_usd) as owner_team_known_cost_usd
    from daily
    group by source_dataset

),

all_datasets as (

    select
        'overall' as grain,
        'all' as source_dataset,
        cast(null as date) as usage_date,
        sum(event_count) as event_count,
        sum(attributed_event_count) as attributed_event_count,
        sum(cost_usd) as cost_usd,
        sum(attributed_cost_usd) as attributed_cost_usd,
        sum(identity_known_cost_usd) as identity_known_cost_usd,
        sum(ai_system_known_cost_usd) as ai_system_known_cost_usd,
        sum(owner_team_known_cost_usd) as owner_team_known_cost_usd
    from daily

),

coverage as (

    select * from daily
    union all
    select * from per_dataset
    union all
    select * from all_datasets

),

keyed as (

    select
        {{ surrogate_key(['grain', 'source_dataset', 'usage_date']) }} as coverage_key,
        coverage.*
    from coverage

),

final as (

    select
        keyed.coverage_key,
        keyed.grain,
        keyed.source_dataset,
        keyed.usage_date,
        cast(coalesce(keyed.event_count, 0) as bigint) as event_count,
        cast(coalesce(keyed.attributed_event_count, 0) as bigint) as attributed_event_count,
        cast(
            cast(keyed.attributed_event_count as {{ double_type() }})
            / nullif(cast(keyed.event_count as {{ double_type() }}), 0)
            as {{ double_type() }}
        ) as event_share,
        cast(coalesce(keyed.cost_usd, 0) as {{ money_type() }}) as cost_usd,
        cast(coalesce(keyed.attributed_cost_usd, 0) as {{ money_type() }}) as attributed_cost_usd,
        cast(
            cast(keyed.attributed_cost_usd as {{ double_type() }})
            / nullif(cast(keyed.cost_usd as {{ double_type() }}), 0)
            as {{ double_type() }}
        ) as cost_share,
        cast(coalesce(keyed.identity_known_cost_usd, 0) as {{ money_type() }}) as identity_known_cost_usd,
        cast(coalesce(keyed.ai_system_known_cost_usd, 0) as {{ money_type() }}) as ai_system_known_cost_usd,
        cast(coalesce(keyed.owner_team_known_cost_usd, 0) as {{ money_type() }}) as owner_team_known_cost_usd,
        cast({{ var('attribution_coverage_min') }} as {{ double_type() }}) as coverage_min,
        file_lists.source_files
    from keyed
    left join file_lists
        on keyed.coverage_key = file_lists.coverage_key

)

select * from final
