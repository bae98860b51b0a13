with

source as (

    {{ deduplicated_landing('iam', 'identity_inventory') }}

),

-- `aws_iam_user` may be an IAM user ARN, `<account>:<user>` or a bare user name (macros/aws_iam.sql)
normalised as (

    select
        *,
        lower(trim(aws_iam_user)) as aws_iam_user_ref
    from source

),

renamed as (

    select
        {{ surrogate_key(['record_type', 'record_id']) }} as inventory_record_key,
        record_type,
        record_id,
        name as display_name,
        identity_kind,
        lower(trim(email)) as email,
        owner_team,
        ai_system_id,
        ai_system_category,
        vendor as vendor_name,
        adoption_date,
        security_owner,
        finance_owner,
        engineering_owner,
        {{ aws_iam_user_name('aws_iam_user_ref') }} as aws_iam_user_name,
        {{ aws_iam_account_id('aws_iam_user_ref') }} as aws_iam_user_account_id,
        lower(trim(okta_login)) as okta_login,
        lower(trim(github_login)) as github_login,
        {{ normalise_list('api_key_refs') }} as api_key_refs,
        status as record_status,
        on_leave_until,
        _extra as extra_columns_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from normalised

)

select * from renamed
