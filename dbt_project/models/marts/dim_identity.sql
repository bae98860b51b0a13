-- Identities, one row per actor (human, service account, agent, API key) across every source: the
-- inventory's identities, the unknown identities of keys seen in a source but in no inventory row (never
-- dropped; owner team unknown), and the explicit member 'unattributed' (kind 'unknown') that usage or
-- decisions without any identity key are kept under.

with

identity_keys as (

    select * from {{ ref('int_identity__keys') }}

),

inventory as (

    select * from {{ ref('int_inventory__latest') }}
    where record_type = 'identity'

),

posture as (

    select * from {{ ref('int_identity__credential_posture') }}

),

inventory_latest as (

    select * from inventory

),

key_summary as (

    select
        identity_id,
        min(identity_kind) as identity_kind,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        count(*) as source_key_count,
        {{ dbt.listagg("key_type || ':' || key_value", "';'", "order by key_type || ':' || key_value") }}
            as source_ids,
        min(case when key_type = 'email' then key_value end) as email,
        -- `<account>:<user>` (a bare name when the inventory's name matched no single account)
        min(case when key_type = 'aws_iam_user' then key_value end) as aws_iam_user_key,
        min(case when key_type = 'okta_login' then key_value end) as okta_login,
        min(case when key_type = 'github_login' then key_value end) as github_login
    from identity_keys
    group by identity_id

),

key_dataset_items as (

    select
        identity_id,
        {{ spine_explode_list('source_datasets') }} as source_dataset
    from identity_keys
    where source_datasets is not null

),

key_datasets as (

    select distinct
        identity_id,
        source_dataset
    from key_dataset_items

),

dataset_lists as (

    select
        identity_id,
        {{ dbt.listagg('source_dataset', "';'", 'order by source_dataset') }} as source_datasets
    from key_datasets
    group by identity_id

),

-- provenance of an identity missing from the inventory: the first sighting of any of its keys
first_sightings_ranked as (

    select
        identity_id,
        _source_file,
        _line,
        row_number() over (
            partition by identity_id
            order by first_seen_at, _source_file, _line, key_type, key_value
        ) as sighting_rank
    from identity_keys
    where not is_in_inventory

),

first_sightings as (

    select * from first_sightings_ranked
    where sighting_rank = 1

),

known as (

    select
        inventory_latest.record_id as identity_id,
        inventory_latest.identity_kind,
        true as is_in_inventory,
        inventory_latest.record_status,
        inventory_latest.owner_team,
        inventory_latest.ai_system_id,
        inventory_latest.display_name,
        coalesce(inventory_latest.email, key_summary.email) as email,
        coalesce(
            inventory_latest.aws_iam_user_name, {{ aws_iam_key_user_name('key_summary.aws_iam_user_key') }}
        ) as aws_iam_user_name,
        {{ aws_iam_key_account_id('key_summary.aws_iam_user_key') }} as aws_account_id,
        coalesce(inventory_latest.okta_login, key_summary.okta_login) as okta_login,
        coalesce(inventory_latest.github_login, key_summary.github_login) as github_login,
        inventory_latest._source_file,
        inventory_latest._line
    from inventory_latest
    left join key_summary
        on inventory_latest.record_id = key_summary.identity_id

),

unknown as (

    select
        key_summary.identity_id,
        key_summary.identity_kind,
        false as is_in_inventory,
        cast(null as {{ dbt.type_string() }}) as record_status,
        cast(null as {{ dbt.type_string() }}) as owner_team,
        cast(null as {{ dbt.type_string() }}) as ai_system_id,
        cast(null as {{ dbt.type_string() }}) as display_name,
        key_summary.email,
        {{ aws_iam_key_user_name('key_summary.aws_iam_user_key') }} as aws_iam_user_name,
        {{ aws_iam_key_account_id('key_summary.aws_iam_user_key') }} as aws_account_id,
        key_summary.okta_login,
        key_summary.github_login,
        first_sightings._source_file,
        first_sightings._line
    from key_summary
    inner join first_sightings
        on key_summary.identity_id = first_sightings.identity_id

),

unattributed as (

    select
        'unattributed' as identity_id,
        'unknown' as identity_kind,
        false as is_in_inventory,
        cast(null as {{ dbt.type_string() }}) as record_status,
        cast(null as {{ dbt.type_string() }}) as owner_team,
        cast(null as {{ dbt.type_string() }}) as ai_system_id,
        cast(null as {{ dbt.type_string() }}) as display_name,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as aws_iam_user_name,
        cast(null as {{ dbt.type_string() }}) as aws_account_id,
        cast(null as {{ dbt.type_string() }}) as okta_login,
        cast(null as {{ dbt.type_string() }}) as github_login,
        cast(null as {{ dbt.type_string() }}) as _source_file,
        cast(null as bigint) as _line

),

identities as (

    select * from known
    union all
    select * from unknown
    union all
    select * from unattributed

),

final as (

    select
        identities.identity_id,
        identities.identity_kind,
        identities.is_in_inventory,
        identities.record_status,
        identities.owner_team,
        identities.ai_system_id,
        identities.display_name,
        identities.email,
        identities.aws_iam_user_name,
        identities.aws_account_id,
        identities.okta_login,
        identities.github_login,
        coalesce(posture.credential_posture, 'unknown') as credential_posture,
        posture.key_age_days,
        posture.key_last_rotated_at,
        coalesce(posture.active_credential_count, 0) as active_credential_count,
        coalesce(posture.static_credential_count, 0) as static_credential_count,
        coalesce(posture.past_rotation_credential_count, 0) as past_rotation_credential_count,
        posture.mfa_active,
        coalesce(posture.has_federated_sign_in, false) as has_federated_sign_in,
        key_summary.first_seen_at,
        key_summary.last_seen_at,
        cast(coalesce(key_summary.source_key_count, 0) as bigint) as source_key_count,
        key_summary.source_ids,
        dataset_lists.source_datasets,
        identities._source_file,
        cast(identities._line as bigint) as _line
    from identities
    left join posture
        on identities.identity_id = posture.identity_id
    left join key_summary
        on identities.identity_id = key_summary.identity_id
    left join dataset_lists
        on identities.identity_id = dataset_lists.identity_id

)

select * from final
