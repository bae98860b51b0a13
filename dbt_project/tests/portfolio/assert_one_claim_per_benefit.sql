-- Release gate, one claim per benefit (docs/METHOD.md section 2): a benefit type of one AI system and
-- quarter is claimed in at most one ledger, the ledger seed benefit_catalogue assigns it to. Fails with one row
-- per violation (int_roi__benefit_claim_conflicts: wrong_ledger, double_claim) and its reason. Error severity:
-- a blocking asset check; the failing rows are stored in the build database (schema dbt_test__audit).
{{ config(severity='error', store_failures=true) }}

select * from {{ ref('int_roi__benefit_claim_conflicts') }}
