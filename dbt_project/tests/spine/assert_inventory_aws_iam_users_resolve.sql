-- Inventory IAM users that resolve to no single account: a bare `aws_iam_user` name found in two or more
-- accounts' credential reports (`ambiguous_name`: none of them is taken, each account's user stays an identity
-- of its own, so the inventory identity shows no IAM posture), or text that is no IAM user ARN,
-- `<account>:<user>` or user name (`unrecognised`). Write the ARN or `<account>:<user>` in the inventory to
-- resolve it. Returns the inventory identity, why, the accounts that have the name, and file and line.
-- Warn severity: advisory, it never blocks a release.
{{ config(severity='warn', store_failures=true,
          meta={'dagster': {'ref': {'name': 'int_inventory__aws_iam_users'}}}) }}

with

inventory_iam_users as (

    select * from {{ ref('int_inventory__aws_iam_users') }}

)

select
    identity_id,
    account_resolution,
    report_account_count,
    _source_file,
    _line
from inventory_iam_users
where account_resolution in ('ambiguous_name', 'unrecognised')
