-- Shadow AI systems: the ones discovered from usage and policy markers that map to no registered system, one row
-- each, named after the first marker seen. Description: _intermediate__models.yml.

with

markers as (

    select * from {{ ref('int_ai_system__markers') }}

),

shadow_markers as (

    select * from markers
    where system_type = 'shadow'

),

shadow_first_ranked as (

    select
        ai_system_id,
        marker_type,
        marker_value,
        _source_file,
        _line,
        row_number() over (
            partition by ai_system_id
            order by first_seen_at, marker_type, marker_value
        ) as marker_rank
    from shadow_markers

),

shadow_first as (

    select * from shadow_first_ranked
    where marker_rank = 1

),

shadow_dataset_items as (

    select
        ai_system_id,
        {{ spine_explode_list('discovered_in') }} as source_dataset
    from shadow_markers

),

shadow_datasets as (

    select distinct
        ai_system_id,
        source_dataset
    from shadow_dataset_items

),

shadow_dataset_lists as (

    select
        ai_system_id,
        {{ dbt.listagg('source_dataset', "';'", 'order by source_dataset') }} as discovered_in
    from shadow_datasets
    group by ai_system_id

),

shadow_seen as (

    select
        ai_system_id,
        min(first_seen_at) as marker_first_seen_at
    from shadow_markers
    group by ai_system_id

),

shadow as (

    select
        shadow_first.ai_system_id,
        case
            when shadow_first.marker_type = 'litellm_tag' and substr(shadow_first.marker_value, 1, 4) = 'app:'
                then substr(shadow_first.marker_value, 5)
            else shadow_first.marker_value
        end as ai_system_name,
        'shadow' as system_type,
        false as is_sanctioned,
        cast(null as {{ dbt.type_string() }}) as ai_system_category,
        cast(null as {{ dbt.type_string() }}) as vendor_name,
        cast(null as {{ dbt.type_string() }}) as owner_team,
        cast(null as date) as adoption_date,
        cast(null as {{ dbt.type_string() }}) as record_status,
        cast(null as {{ dbt.type_string() }}) as security_owner,
        cast(null as {{ dbt.type_string() }}) as finance_owner,
        cast(null as {{ dbt.type_string() }}) as engineering_owner,
        shadow_dataset_lists.discovered_in,
        shadow_seen.marker_first_seen_at,
        shadow_first._source_file,
        shadow_first._line
    from shadow_first
    inner join shadow_dataset_lists
        on shadow_first.ai_system_id = shadow_dataset_lists.ai_system_id
    inner join shadow_seen
        on shadow_first.ai_system_id = shadow_seen.ai_system_id

)

select * from shadow
