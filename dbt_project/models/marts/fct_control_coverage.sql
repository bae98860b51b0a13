-- Control coverage: every AI system x every leaf item of the four main frameworks, whether a control covers
-- the item, which ones, from which evidence, and the policy decisions about the system under those controls.

with

ai_systems as (

    select
        ai_system_id,
        system_type,
        is_sanctioned
    from {{ ref('dim_ai_system') }}

),

framework_items as (

    {{ framework_items() }}

),

main_items as (

    select
        framework,
        item_id,
        item_title,
        item_parent
    from framework_items
    where
        is_leaf
        and framework in (
            {%- for framework in main_frameworks() %}
                '{{ framework }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )

),

item_controls as (

    select
        control_map.framework,
        control_map.framework_item_id as item_id,
        control_map.control_id
    from {{ ref('control_framework_map') }} as control_map

),

-- one row per control and evidence dataset (the catalogue lists them ';'-separated)
control_evidence as (

    select
        control_id,
        {{ spine_explode_list('evidence_source') }} as evidence_source
    from {{ ref('control_catalogue') }}

),

item_evidence as (

    select distinct
        item_controls.framework,
        item_controls.item_id,
        control_evidence.evidence_source
    from item_controls
    inner join control_evidence
        on item_controls.control_id = control_evidence.control_id

),

item_coverage as (

    select
        framework,
        item_id,
        count(*) as covering_control_count,
        {{ dbt.listagg('control_id', "';'", 'order by control_id') }} as covering_control_ids
    from item_controls
    group by framework, item_id

),

item_evidence_sources as (

    select
        framework,
        item_id,
        {{ dbt.listagg('evidence_source', "';'", 'order by evidence_source') }} as evidence_source
    from item_evidence
    group by framework, item_id

),

-- decisions grouped by what decides their items, the system and its control list (decision_id is unique in
-- fct_policy_decisions, so a group's rows count its decisions): a few hundred groups, not every decision, meet
-- the framework map
decision_groups as (

    select
        ai_system_id,
        control_ids,
        count(*) as decision_count,
        sum(case when is_denied then 1 else 0 end) as denied_decision_count,
        min(decided_at) as first_decision_at,
        max(decided_at) as last_decision_at
    from {{ ref('fct_policy_decisions') }}
    group by ai_system_id, control_ids

),

-- each group once per control in its list
group_controls as (

    select
        ai_system_id,
        control_ids,
        decision_count,
        denied_decision_count,
        first_decision_at,
        last_decision_at,
        {{ spine_explode_list('control_ids') }} as control_id
    from decision_groups

),

-- each group once per item, however many of its controls cover the item (its decisions count once)
group_items as (

    select distinct
        group_controls.ai_system_id,
        group_controls.control_ids,
        group_controls.decision_count,
        group_controls.denied_decision_count,
        group_controls.first_decision_at,
        group_controls.last_decision_at,
        item_controls.framework,
        item_controls.item_id
    from group_controls
    inner join item_controls
        on group_controls.control_id = item_controls.control_id

),

item_decisions as (

    select
        ai_system_id,
        framework,
        item_id,
        sum(decision_count) as decision_count,
        sum(denied_decision_count) as denied_decision_count,
        min(first_decision_at) as first_decision_at,
        max(last_decision_at) as last_decision_at
    from group_items
    group by ai_system_id, framework, item_id

),

final as (

    select
        {{ surrogate_key(['ai_systems.ai_system_id', 'main_items.framework', 'main_items.item_id']) }}
            as control_coverage_key,
        ai_systems.ai_system_id,
        ai_systems.system_type,
        ai_systems.is_sanctioned,
        main_items.framework,
        main_items.item_id as framework_item_id,
        main_items.item_title,
        main_items.item_parent,
        item_coverage.item_id is not null as is_covered,
        item_coverage.covering_control_ids,
        cast(coalesce(item_coverage.covering_control_count, 0) as bigint) as covering_control_count,
        item_evidence_sources.evidence_source,
        cast(coalesce(item_decisions.decision_count, 0) as bigint) as decision_count,
        cast(coalesce(item_decisions.denied_decision_count, 0) as bigint) as denied_decision_count,
        item_decisions.first_decision_at,
        item_decisions.last_decision_at
    from ai_systems
    cross join main_items
    left join item_coverage
        on
            main_items.framework = item_coverage.framework
            and main_items.item_id = item_coverage.item_id
    left join item_evidence_sources
        on
            main_items.framework = item_evidence_sources.framework
            and main_items.item_id = item_evidence_sources.item_id
    left join item_decisions
        on
            ai_systems.ai_system_id = item_decisions.ai_system_id
            and main_items.framework = item_decisions.framework
            and main_items.item_id = item_decisions.item_id

)

select * from final
