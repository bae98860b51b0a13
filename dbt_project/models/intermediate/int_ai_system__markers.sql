{{ config(materialized='table') }}

with

systems as (

    select * from {{ ref('int_inventory__latest') }}
    where record_type = 'ai_system'

),

observed as (

    select * from {{ ref('int_ai_system__sightings') }}

),

system_refs as (

    select
        record_id,
        _source_file,
        _line,
        {{ spine_explode_list('api_key_refs') }} as ref_value
    from systems
    where api_key_refs is not null

),

registered_candidates as (

    select
        'ai_system_id' as marker_type,
        record_id as marker_value,
        record_id as ai_system_id,
        _source_file,
        _line
    from systems

    union all

    select
        {{ spine_marker_type('ref_value') }} as marker_type,
        ref_value as marker_value,
        record_id as ai_system_id,
        _source_file,
        _line
    from system_refs
    where ref_value is not null and ref_value <> ''

),

registered_ranked as (

    select
        *,
        row_number() over (partition by marker_type, marker_value order by ai_system_id) as marker_rank
    from registered_candidates

),

registered as (

    select
        marker_type,
        marker_value,
        ai_system_id,
        'registered' as system_type,
        cast(null as {{ dbt.type_timestamp() }}) as first_seen_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_seen_at,
        'iam/identity_inventory' as discovered_in,
        _source_file,
        _line
    from registered_ranked
    where marker_rank = 1

),

unregistered as (

    select observed.*
    from observed
    left join registered
        on
            observed.marker_type = registered.marker_type
            and observed.marker_value = registered.marker_value
    where registered.marker_value is null

),

unregistered_first as (

    select
        marker_type,
        marker_value,
        _source_file,
        first_line,
        row_number() over (
            partition by marker_type, marker_value
            order by first_seen_at, _source_file, first_line
        ) as sighting_rank
    from unregistered

),

unregistered_datasets as (

    select distinct
        marker_type,
        marker_value,
        source_dataset
    from unregistered

),

unregistered_dataset_lists as (

    select
        marker_type,
        marker_value,
        {{ dbt.listagg('source_dataset', "';'", 'order by source_dataset') }} as discovered_in
    from unregistered_datasets
    group by marker_type, marker_value

),

shadow as (

    select
        unregistered.marker_type,
        unregistered.marker_value,
        'shadow-' || case
            when unregistered.marker_type = 'litellm_tag' and substr(unregistered.marker_value, 1, 4) = 'app:'
                then substr(unregistered.marker_value, 5)
            when unregistered.marker_type = 'ai_product' then {{ spine_marker_product('unregistered.marker_value') }}
            else unregistered.marker_value
        end as ai_system_id,
        'shadow' as system_type,
        min(unregistered.first_seen_at) as first_seen_at,
        max(unregistered.last_seen_at) as last_seen_at,
        unregistered_dataset_lists.discovered_in,
        unregistered_first._source_file,
        unregistered_first.first_line as _line
    from unregistered
    inner join unregistered_first
        on
            unregistered.marker_type = unregistered_first.marker_type
            and unregistered.marker_value = unregistered_first.marker_value
            and unregistered_first.sighting_rank = 1
    inner join unregistered_dataset_lists
        on
            unregistered.marker_type = unregistered_dataset_lists.marker_type
            and unregistered.marker_value = unregistered_dataset_lists.marker_value
    group by
        unregistered.marker_type,
        unregistered.marker_value,
        unregistered_dataset_lists.discovered_in,
        unregistered_first._source_file,
        unregistered_first.first_line

)

select * from registered
union all
select * from shadow
