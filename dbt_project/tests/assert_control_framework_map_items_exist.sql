-- Every mapped item exists in its framework seed (seeds/frameworks) and is a leaf item there (NIST CSF
-- category, NIST AI RMF subcategory, an item of a flat list), the level coverage is reported on.
-- Returns the offending map rows with the reason. Error severity: a blocking asset check on the
-- control_framework_map seed.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'control_framework_map'}}}) }}

with

framework_items as (

    {{ framework_items() }}

),

map as (

    select * from {{ ref('control_framework_map') }}

)

select
    map.control_id,
    map.framework,
    map.framework_item_id,
    case
        when framework_items.item_id is null then 'item not in the framework seed'
        else 'item is not a leaf item (map its subcategories or categories)'
    end as failure_reason
from map
left join framework_items
    on
        map.framework = framework_items.framework
        and map.framework_item_id = framework_items.item_id
where framework_items.item_id is null or not framework_items.is_leaf
