with

source as (

    {{ deduplicated_landing('iam', 'secrets_inventory') }}

),

renamed as (

    select
        {{ surrogate_key(['arn', '_file_sha256']) }} as secret_snapshot_id,
        arn as secret_arn,
        name as secret_name,
        description as secret_description,
        kms_key_id,
        rotation_enabled,
        rotation_lambda_arn,
        rotation_after_days as rotation_interval_days,
        last_rotated_date as last_rotated_at,
        last_changed_date as last_changed_at,
        last_accessed_date as last_accessed_at,
        deleted_date as deleted_at,
        next_rotation_date as next_rotation_at,
        created_date as created_at,
        owning_service,
        primary_region,
        tags as tags_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
