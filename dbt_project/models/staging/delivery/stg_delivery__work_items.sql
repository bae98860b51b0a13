with

source as (

    {{ deduplicated_landing('delivery', 'work_items') }}

),

renamed as (

    select
        key as work_item_key,
        type as work_item_type,
        created as created_at,
        resolved as resolved_at,
        lower(trim(assignee)) as assignee_login,
        team,
        effort_hours,
        story_points,
        status as workflow_status,
        lower({{ normalise_list('labels') }}) as labels,
        _extra as extra_columns_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
