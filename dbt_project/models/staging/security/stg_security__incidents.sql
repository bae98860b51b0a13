with

source as (

    {{ deduplicated_landing('security', 'incidents') }}

),

renamed as (

    select
        finding_uid,
        title as incident_title,
        severity,
        status as incident_status,
        category as incident_category,
        start_time as started_at,
        detected_time as detected_at,
        end_time as ended_at,
        ai_system_id,
        detected_by,
        affected_identities as affected_identity_count,
        affected_secrets as affected_secret_count,
        response_hours,
        cast(loss_amount as {{ money_type() }}) as loss_amount,
        -- docs/FORMATS.md: currency defaults to USD
        coalesce(upper(trim(currency)), 'USD') as currency,
        _extra as extra_columns_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
