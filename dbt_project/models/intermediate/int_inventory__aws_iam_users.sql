-- The IAM user of each inventory identity, resolved to one account: one row per inventory identity with an
-- `aws_iam_user`. An ARN or `<account>:<user>` names its account. A bare user name is matched against the
-- credential reports: it takes the account only when exactly one account has a user of that name; a name
-- found in two or more accounts resolves to none of them (each account's user stays an identity of its
-- own, and the warn test assert_inventory_aws_iam_users_resolve names the inventory row), so one account's
-- posture is never reported as another's. The identity key is `<account>:<user>`, or the bare name when no
-- single account was found (a key no credential report row carries).

with

inventory as (

    select * from {{ ref('int_inventory__latest') }}
    where record_type = 'identity' and aws_iam_user_name is not null

),

report_users as (

    select * from {{ ref('int_credential_report__latest') }}

),

name_accounts as (

    select
        iam_user_name,
        count(distinct aws_account_id) as account_count,
        min(aws_account_id) as first_account_id
    from report_users
    where aws_account_id is not null
    group by iam_user_name

),

resolved as (

    select
        inventory.record_id as identity_id,
        inventory.aws_iam_user_name,
        inventory.aws_iam_user_account_id as stated_account_id,
        coalesce(name_accounts.account_count, 0) as report_account_count,
        case
            when inventory.aws_iam_user_account_id is not null then 'stated'
            when not {{ aws_iam_is_user_name('inventory.aws_iam_user_name') }} then 'unrecognised'
            when name_accounts.account_count = 1 then 'unique_name'
            when name_accounts.account_count > 1 then 'ambiguous_name'
            else 'not_in_report'
        end as account_resolution,
        coalesce(
            inventory.aws_iam_user_account_id,
            case when name_accounts.account_count = 1 then name_accounts.first_account_id end
        ) as aws_account_id,
        inventory._source_file,
        inventory._line
    from inventory
    left join name_accounts
        on inventory.aws_iam_user_name = name_accounts.iam_user_name

),

final as (

    select
        identity_id,
        aws_iam_user_name,
        stated_account_id,
        aws_account_id,
        account_resolution,
        report_account_count,
        -- text that cannot be an IAM user name gives no key (it could never match a report row)
        case
            when aws_account_id is not null then {{ aws_iam_user_key('aws_account_id', 'aws_iam_user_name') }}
            when account_resolution <> 'unrecognised' then aws_iam_user_name
        end as iam_user_key,
        _source_file,
        _line
    from resolved

)

select * from final
