{{ config(materialized='view') }}

with

iam_keys as (

    select * from {{ ref('int_identity__iam_keys') }}

),

activity_keys as (

    select * from {{ ref('int_identity__activity_keys') }}

),

ai_tool_keys as (

    select * from {{ ref('int_identity__ai_tool_keys') }}

),

final as (

    select * from iam_keys
    union all
    select * from activity_keys
    union all
    select * from ai_tool_keys

)

select * from final
