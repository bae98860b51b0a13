-- The AWS IAM credential report as it stands now: the latest row of each IAM user of each account across every
-- report landed. One place for the rules that the credential assessment, the identity posture and the
-- inventory's IAM user resolution share:
--   - a user is (account, user name): names repeat across accounts (every account has a `<root_account>` row);
--   - "latest" is by the report's own generation time, not by file name or ingest order: the GetCredentialReport
--     response's GeneratedTime when the report landed as that JSON response; a bare CSV carries none, so there
--     report_generated_at is its lower bound: the greatest timestamp anywhere in the landed file
--     (`_file_sha256`), since every creation, last-used, last-rotated and last-changed time in a report lies
--     before AWS generated it (password_next_rotation, a future date, is left out). Ties (and files without
--     any timestamp) fall back to the newest ingest, then file name, then line.

with

credential_report as (

    select * from {{ ref('stg_iam__aws_credential_report') }}

),

row_times as (

    select
        _file_sha256,
        -- greatest skips NULLs on DuckDB, PostgreSQL and Spark
        greatest(
            user_created_at,
            password_last_used_at,
            password_last_changed_at,
            access_key_1_last_rotated_at,
            access_key_1_last_used_at,
            access_key_2_last_rotated_at,
            access_key_2_last_used_at,
            cert_1_last_rotated_at,
            cert_2_last_rotated_at
        ) as latest_row_time,
        report_generated_time
    from credential_report

),

report_times as (

    select
        _file_sha256,
        coalesce(max(report_generated_time), max(latest_row_time)) as report_generated_at
    from row_times
    group by _file_sha256

),

ranked as (

    select
        credential_report.*,
        {{ aws_iam_user_key('credential_report.aws_account_id', 'credential_report.iam_user_name') }}
            as iam_user_key,
        report_times.report_generated_at,
        row_number() over (
            partition by credential_report.aws_account_id, credential_report.iam_user_name
            order by
                case when report_times.report_generated_at is null then 1 else 0 end asc,
                report_times.report_generated_at desc,
                credential_report._ingested_at desc,
                credential_report._source_file desc,
                credential_report._line desc
        ) as report_rank
    from credential_report
    left join report_times
        on credential_report._file_sha256 = report_times._file_sha256

)

select * from ranked
where report_rank = 1
