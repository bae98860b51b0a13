-- One row per control and framework item it is mapped to (seed control_framework_map), with the control
-- title and the item title and parent from the framework seeds.

with

control_map as (

    select * from {{ ref('control_framework_map') }}

),

controls as (

    select * from {{ ref('control_catalogue') }}

),

framework_items as (

    {{ framework_items() }}

),

joined as (

    select
        {{ surrogate_key(['control_map.control_id', 'control_map.framework', 'control_map.framework_item_id']) }}
            as control_framework_item_key,
        control_map.control_id,
        controls.title as control_title,
        control_map.framework,
        control_map.framework_item_id,
        framework_items.item_title,
        framework_items.item_parent,
        control_map.rationale
    from control_map
    inner join controls
        on control_map.control_id = controls.control_id
    inner join framework_items
        on
            control_map.framework = framework_items.framework
            and control_map.framework_item_id = framework_items.item_id

)

select * from joined
