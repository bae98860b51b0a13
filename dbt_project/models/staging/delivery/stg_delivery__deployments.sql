{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('delivery', 'deployments') }}",
    post_hook="{{ landing_increment_finish('delivery', 'deployments') }}"
) }}

with

source as (

    {{ deduplicated_landing('delivery', 'deployments') }}

),

renamed as (

    select
        deploy_id as deployment_id,
        source as source_system,
        time_created as deployed_at,
        main_commit,
        -- JSON array or ';'-separated text -> 'id1;id2'
        {{ normalise_list('changes') }} as change_ids,
        repo as repo_name,
        team,
        lower(trim(environment)) as environment,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
