with

source as (

    {{ deduplicated_landing('iam', 'aws_credential_report') }}

),

renamed as (

    select
        {{ surrogate_key(['arn', '_file_sha256']) }} as credential_report_row_id,
        lower(trim({{ adapter.quote('user') }})) as iam_user_name,
        arn as iam_user_arn,
        -- the account keys the identity (user names repeat across accounts); NULL when the ARN is not an IAM
        -- user or root ARN, which the not_null test on this column refuses
        {{ aws_iam_account_id('arn') }} as aws_account_id,
        {{ aws_iam_partition('arn') }} as aws_partition,
        {{ adapter.quote('user') }} = '<root_account>' as is_root_account,
        user_creation_time as user_created_at,
        password_enabled,
        password_last_used as password_last_used_at,
        password_last_changed as password_last_changed_at,
        password_next_rotation as password_next_rotation_at,
        mfa_active,
        access_key_1_active,
        access_key_1_last_rotated as access_key_1_last_rotated_at,
        access_key_1_last_used_date as access_key_1_last_used_at,
        access_key_1_last_used_region,
        access_key_1_last_used_service,
        access_key_2_active,
        access_key_2_last_rotated as access_key_2_last_rotated_at,
        access_key_2_last_used_date as access_key_2_last_used_at,
        access_key_2_last_used_region,
        access_key_2_last_used_service,
        cert_1_active,
        cert_1_last_rotated as cert_1_last_rotated_at,
        cert_2_active,
        cert_2_last_rotated as cert_2_last_rotated_at,
        generated_time as report_generated_time,
        _extra as extra_columns_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
