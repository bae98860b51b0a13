-- Every control of the catalogue is mapped to at least one item of each of the four main frameworks, and no
-- control maps the same item twice. Returns the control, framework and what is wrong. Error severity: a
-- blocking asset check on the control_framework_map seed.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'control_framework_map'}}}) }}

with

controls as (

    select control_id from {{ ref('control_catalogue') }}

),

main_frameworks as (

    {% for framework in main_frameworks() -%}
        select '{{ framework }}' as framework
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

mapped as (

    select
        control_id,
        framework,
        framework_item_id,
        count(*) as n_rows
    from {{ ref('control_framework_map') }}
    group by control_id, framework, framework_item_id

)

select
    controls.control_id,
    main_frameworks.framework,
    'control not mapped to this framework' as failure_reason
from controls
cross join main_frameworks
left join mapped
    on
        controls.control_id = mapped.control_id
        and main_frameworks.framework = mapped.framework
where mapped.control_id is null

union all

select
    control_id,
    framework,
    {{ dbt.concat(["'item '", 'framework_item_id', "' mapped more than once'"]) }} as failure_reason
from mapped
where n_rows > 1
