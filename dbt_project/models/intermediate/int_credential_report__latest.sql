-- The AWS IAM credential report as it stands now: the latest row of each IAM user across every report landed,
-- newest ingest first. One place for the rule that the credential assessment and the identity posture share.

with

credential_report as (

    select * from {{ ref('stg_iam__aws_credential_report') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by iam_user_name
            order by _ingested_at desc, _source_file desc, _line desc
        ) as report_rank
    from credential_report

)

select * from ranked
where report_rank = 1
