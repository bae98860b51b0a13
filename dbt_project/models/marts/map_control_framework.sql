-- One row per control and framework item it is mapped to (seed control_framework_map), with the control
-- title and the item title and parent from the framework seeds.

with

map as (

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
        {{ surrogate_key(['map.control_id', 'map.framework', 'map.framework_item_id']) }} as control_framework_item_key,
        map.control_id,
        controls.title as control_title,
        map.framework,
        map.framework_item_id,
        framework_items.item_title,
        framework_items.item_parent,
        map.rationale
    from map
    inner join controls
        on map.control_id = controls.control_id
    inner join framework_items
        on
            map.framework = framework_items.framework
            and map.framework_item_id = framework_items.item_id

)

select * from joined
