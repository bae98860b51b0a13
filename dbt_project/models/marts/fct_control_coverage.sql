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

-- each decision once per control it enforces (control_ids is a canonical ';' list)
decision_controls as (

    select
        decision_id,
        ai_system_id,
        decided_at,
        is_denied,
        {{ spine_explode_list('control_ids') }} as control_id
    from {{ ref('fct_policy_decisions') }}

),

item_decisions as (

    select
        decision_controls.ai_system_id,
        item_controls.framework,
        item_controls.item_id,
        count(distinct decision_controls.decision_id) as decision_count,
        count(distinct case when decision_controls.is_denied then decision_controls.decision_id end)
            as denied_decision_count,
        min(decision_controls.decided_at) as first_decision_at,
        max(decision_controls.decided_at) as last_decision_at
    from item_controls
    inner join decision_controls
        on item_controls.control_id = decision_controls.control_id
    group by decision_controls.ai_system_id, item_controls.framework, item_controls.item_id

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
