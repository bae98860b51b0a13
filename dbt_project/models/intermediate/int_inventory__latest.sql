-- The identity and AI system inventory as it stands now: the latest row of each record (record_type,
-- record_id) across every inventory export landed, newest ingest first. One place for the rule that the
-- identity resolution, the AI system markers and both dimensions share.

with

inventory as (

    select * from {{ ref('stg_iam__identity_inventory') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by record_type, record_id
            order by _ingested_at desc, _source_file desc, _line desc
        ) as record_rank
    from inventory

)

select * from ranked
where record_rank = 1
