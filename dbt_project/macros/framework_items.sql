{#
    The framework seeds (seeds/frameworks, one per identifier table) under the framework keys used by
    the control_framework_map seed. NIST AI RMF has two tables: functions and categories, and subcategories.
#}
{% macro framework_seeds() -%}
    {{ return({
        'nist_csf_2_0': ['nist_csf_2_0'],
        'nist_ai_rmf_1_0': ['nist_ai_rmf_1_0', 'nist_ai_rmf_1_0_subcategories'],
        'owasp_agentic_top10_2026': ['owasp_agentic_top10_2026'],
        'csa_maestro': ['csa_maestro_layers'],
        'owasp_llm_top10_2025': ['owasp_llm_top10_2025'],
        'owasp_agentic_threats': ['owasp_agentic_threats_t1_t15'],
    }) }}
{%- endmacro %}


{# The four frameworks every control is mapped to and coverage is reported for. #}
{% macro main_frameworks() -%}
    {{ return(['nist_csf_2_0', 'nist_ai_rmf_1_0', 'owasp_agentic_top10_2026', 'csa_maestro']) }}
{%- endmacro %}


{% macro _framework_item_union() -%}
    {%- for framework, seeds in ai_roi_ledger.framework_seeds().items() -%}
        {%- set outer_loop = loop -%}
        {%- for seed in seeds %}
            select
                '{{ framework }}' as framework,
                id as item_id,
                title as item_title,
                parent as item_parent
            from {{ ref(seed) }}
            {%- if not (outer_loop.last and loop.last) %}
                union all
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}


{#
    framework_items(): a select of every framework item: framework, item_id, item_title, item_parent and
    is_leaf (no item of the same framework names it as parent: NIST CSF categories, NIST AI RMF
    subcategories, every item of the flat lists). Controls are mapped to, and coverage is reported on,
    leaf items. Top-level items have the publication as parent.
#}
{% macro framework_items() -%}
    select
        items.framework,
        items.item_id,
        items.item_title,
        items.item_parent,
        parents.parent_id is null as is_leaf
    from ({{ ai_roi_ledger._framework_item_union() }}
    ) as items
    left join (
        select distinct
            framework,
            item_parent as parent_id
        from ({{ ai_roi_ledger._framework_item_union() }}
        ) as all_items
    ) as parents
        on
            items.framework = parents.framework
            and items.item_id = parents.parent_id
{%- endmacro %}
