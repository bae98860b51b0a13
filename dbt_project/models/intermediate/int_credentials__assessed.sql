-- Credentials with their age and rotation, one row per credential: each AWS access key slot of the latest
-- credential report row of an IAM user (`<account>:<user>#access_key_<n>`: user names repeat across
-- accounts), and each Secrets Manager secret (latest inventory snapshot, not scheduled for deletion),
-- resolved to its identity. Ages are counted to the as-of date; the threshold is var static_key_max_age_days
-- (default 90).

with

latest_report as (

    select * from {{ ref('int_credential_report__latest') }}

),

secrets as (

    select * from {{ ref('stg_iam__secrets_inventory') }}

),

identity_keys as (

    select * from {{ ref('int_identity__keys') }}

),

access_keys as (

    select
        'aws_access_key' as credential_type,
        iam_user_key || '#access_key_1' as credential_ref,
        iam_user_key,
        cast(null as {{ dbt.type_string() }}) as secret_arn,
        cast(null as {{ dbt.type_string() }}) as tagged_ai_system_id,
        coalesce(access_key_1_active, false) as is_active,
        cast(null as boolean) as is_rotation_enabled,
        access_key_1_last_rotated_at as last_rotated_at,
        access_key_1_last_used_at as last_used_at,
        _source_file,
        _line
    from latest_report
    where access_key_1_last_rotated_at is not null

    union all

    select
        'aws_access_key' as credential_type,
        iam_user_key || '#access_key_2' as credential_ref,
        iam_user_key,
        cast(null as {{ dbt.type_string() }}) as secret_arn,
        cast(null as {{ dbt.type_string() }}) as tagged_ai_system_id,
        coalesce(access_key_2_active, false) as is_active,
        cast(null as boolean) as is_rotation_enabled,
        access_key_2_last_rotated_at as last_rotated_at,
        access_key_2_last_used_at as last_used_at,
        _source_file,
        _line
    from latest_report
    where access_key_2_last_rotated_at is not null

),

secrets_ranked as (

    select
        *,
        row_number() over (
            partition by secret_arn
            order by _ingested_at desc, _source_file desc, _line desc
        ) as snapshot_rank
    from secrets

),

latest_secrets as (

    select
        'secret' as credential_type,
        secret_arn as credential_ref,
        cast(null as {{ dbt.type_string() }}) as iam_user_key,
        secret_arn,
        {{ spine_regexp_extract('tags_json', '"Key" *: *"ai_system" *, *"Value" *: *"([^"]+)"') }}
            as tagged_ai_system_id,
        true as is_active,
        rotation_enabled as is_rotation_enabled,
        -- a secret never rotated is as old as its creation
        coalesce(last_rotated_at, created_at) as last_rotated_at,
        last_accessed_at as last_used_at,
        _source_file,
        _line
    from secrets_ranked
    where snapshot_rank = 1 and deleted_at is null

),

credentials as (

    select * from access_keys
    union all
    select * from latest_secrets

),

assessed as (

    select
        {{ surrogate_key(['credentials.credential_type', 'credentials.credential_ref']) }} as credential_key,
        credentials.credential_type,
        credentials.credential_ref,
        coalesce(iam_user_keys.identity_id, secret_keys.identity_id) as identity_id,
        coalesce(iam_user_keys.ai_system_id, secret_keys.ai_system_id) as identity_ai_system_id,
        credentials.tagged_ai_system_id,
        credentials.is_active,
        credentials.is_rotation_enabled,
        credentials.last_rotated_at,
        credentials.last_used_at,
        -- days from the last rotation to the as-of date
        cast({{ dbt.datediff('credentials.last_rotated_at', spine_as_of_date(), 'day') }} as bigint)  -- noqa: LT05
            as days_since_rotation,
        credentials._source_file,
        credentials._line
    from credentials
    left join identity_keys as iam_user_keys
        on
            iam_user_keys.key_type = 'aws_iam_user'
            and credentials.iam_user_key = iam_user_keys.key_value
    left join identity_keys as secret_keys
        on
            secret_keys.key_type = 'secret_arn'
            and credentials.secret_arn = secret_keys.key_value

),

final as (

    select
        credential_key,
        credential_type,
        credential_ref,
        identity_id,
        identity_ai_system_id,
        tagged_ai_system_id,
        is_active,
        is_rotation_enabled,
        last_rotated_at,
        last_used_at,
        days_since_rotation,
        -- static long-lived: an active credential not rotated within the threshold
        coalesce(is_active and days_since_rotation > {{ spine_static_key_max_age_days() }}, false)
            as is_static_long_lived,
        -- past rotation: rotation disabled (secrets) or last rotated longer ago than the threshold
        coalesce(
            is_active
            and (
                days_since_rotation > {{ spine_static_key_max_age_days() }}
                or (credential_type = 'secret' and not coalesce(is_rotation_enabled, false))
            ),
            false
        ) as is_past_rotation,
        _source_file,
        _line
    from assessed

)

select * from final
