-- The keys the inventory declares, one row per (key_type, key_value) with the identity whose row declares it
-- (a key claimed by two rows goes to the lowest identity id). Description: _intermediate__models.yml.

with

inventory as (

    select * from {{ ref('int_inventory__latest') }}
    where record_type = 'identity'

),

inventory_iam_users as (

    select * from {{ ref('int_inventory__aws_iam_users') }}

),

inventory_latest as (

    select * from inventory

),

inventory_refs as (

    select
        record_id,
        _source_file,
        _line,
        {{ spine_explode_list('api_key_refs') }} as ref_value
    from inventory_latest
    where api_key_refs is not null

),

inventory_key_candidates as (

    select
        'identity_ref' as key_type,
        lower(record_id) as key_value,
        record_id as identity_id,
        _source_file,
        _line
    from inventory_latest

    union all

    select
        'email' as key_type,
        email as key_value,
        record_id as identity_id,
        _source_file,
        _line
    from inventory_latest
    where email is not null

    union all

    select
        'okta_login' as key_type,
        okta_login as key_value,
        record_id as identity_id,
        _source_file,
        _line
    from inventory_latest
    where okta_login is not null

    union all

    select
        'github_login' as key_type,
        github_login as key_value,
        record_id as identity_id,
        _source_file,
        _line
    from inventory_latest
    where github_login is not null

    union all

    -- `<account>:<user>`, resolved from an ARN, `<account>:<user>` or a bare name (int_inventory__aws_iam_users)
    select
        'aws_iam_user' as key_type,
        iam_user_key as key_value,
        identity_id,
        _source_file,
        _line
    from inventory_iam_users
    where iam_user_key is not null

    union all

    -- an IAM role ARN as `<account>:<role name>`, the key its callers' assumed-role ARNs give (aws_iam_role_key)
    select
        {{ spine_key_type_of_ref('ref_value') }} as key_type,
        coalesce({{ aws_iam_role_key('ref_value') }}, ref_value) as key_value,
        record_id as identity_id,
        _source_file,
        _line
    from inventory_refs
    where ref_value is not null and ref_value <> ''

),

-- a key claimed by two inventory rows goes to the lowest identity id (deterministic)
inventory_keys_ranked as (

    select
        *,
        row_number() over (partition by key_type, key_value order by identity_id) as key_rank
    from inventory_key_candidates

),

inventory_keys as (

    select
        key_type,
        key_value,
        identity_id,
        _source_file,
        _line
    from inventory_keys_ranked
    where key_rank = 1

)

select * from inventory_keys
