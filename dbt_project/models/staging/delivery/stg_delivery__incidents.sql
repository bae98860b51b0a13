with

source as (

    {{ deduplicated_landing('delivery', 'incidents') }}

),

renamed as (

    select
        incident_id,
        source as source_system,
        time_created as created_at,
        time_resolved as resolved_at,
        -- JSON array or ';'-separated text -> 'id1;id2'
        {{ normalise_list('changes') }} as root_cause_change_ids,
        repo as repo_name,
        team,
        title as incident_title,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
