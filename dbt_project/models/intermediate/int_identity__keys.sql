{{ config(materialized='table') }}

-- Identity resolution: one row per (key_type, key_value) from the inventory and every source, mapped to one
-- identity_id. Order: the key is in an inventory row (that identity); else the key it is linked to in its
-- records (its anchor: an Okta id's login, a hashed token's GitHub login, an IAM ARN's `<account>:<user>`,
-- a LiteLLM key's user email, an OpenAI key's user id, a secret's owner tag) is in an inventory row; else an
-- identity of its own, 'unk-' + hash of the anchor key, so keys seen together share one unknown identity and
-- nothing is dropped. IAM users key on account and user (`aws_iam_user` = `<account>:<user>`), so the root
-- rows (and same-named users) of two accounts are two identities.

with

inventory as (

    select * from {{ ref('int_inventory__latest') }}
    where record_type = 'identity'

),

observed as (

    select * from {{ ref('int_identity__observed_keys') }}

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

    select
        {{ spine_key_type_of_ref('ref_value') }} as key_type,
        ref_value as key_value,
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

),

observed_per_key as (

    select
        key_type,
        key_value,
        sum(observation_count) as observation_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        min({{ spine_kind_rank('kind_hint') }}) as kind_rank
    from observed
    group by key_type, key_value

),

observed_first_file_ranked as (

    select
        key_type,
        key_value,
        _source_file,
        first_line,
        row_number() over (
            partition by key_type, key_value
            order by first_seen_at, _source_file, first_line
        ) as file_rank
    from observed

),

observed_first_file as (

    select * from observed_first_file_ranked
    where file_rank = 1

),

key_datasets as (

    select distinct
        key_type,
        key_value,
        source_dataset
    from observed

    union

    select
        key_type,
        key_value,
        'iam/identity_inventory' as source_dataset
    from inventory_keys

),

key_dataset_lists as (

    select
        key_type,
        key_value,
        {{ dbt.listagg('source_dataset', "';'", 'order by source_dataset') }} as source_datasets
    from key_datasets
    group by key_type, key_value

),

key_anchors as (

    select
        key_type,
        key_value,
        anchor_key_type,
        anchor_key_value,
        sum(observation_count) as anchor_observation_count
    from observed
    group by key_type, key_value, anchor_key_type, anchor_key_value

),

-- per key, the anchor that resolves to an inventory identity first, then the most frequent one
anchors_ranked as (

    select
        key_anchors.key_type,
        key_anchors.key_value,
        key_anchors.anchor_key_type,
        key_anchors.anchor_key_value,
        anchor_inventory.identity_id as anchor_identity_id,
        row_number() over (
            partition by key_anchors.key_type, key_anchors.key_value
            order by
                case when anchor_inventory.identity_id is null then 1 else 0 end asc,
                key_anchors.anchor_observation_count desc,
                key_anchors.anchor_key_type asc,
                key_anchors.anchor_key_value asc
        ) as anchor_rank
    from key_anchors
    left join inventory_keys as anchor_inventory
        on
            key_anchors.anchor_key_type = anchor_inventory.key_type
            and key_anchors.anchor_key_value = anchor_inventory.key_value

),

chosen_anchors as (

    select * from anchors_ranked
    where anchor_rank = 1

),

all_keys as (

    select
        key_type,
        key_value
    from inventory_keys

    union

    select
        key_type,
        key_value
    from observed_per_key

),

resolved as (

    select
        all_keys.key_type,
        all_keys.key_value,
        coalesce(
            inventory_keys.identity_id,
            chosen_anchors.anchor_identity_id,
            {{ spine_unknown_identity_id('chosen_anchors.anchor_key_type', 'chosen_anchors.anchor_key_value') }}
        ) as identity_id,
        case
            when inventory_keys.identity_id is not null then 'inventory'
            when chosen_anchors.anchor_identity_id is not null then 'linked_key'
            else 'unresolved'
        end as resolution_method,
        case when inventory_keys.identity_id is null then chosen_anchors.anchor_key_type end as anchor_key_type,
        case when inventory_keys.identity_id is null then chosen_anchors.anchor_key_value end as anchor_key_value,
        coalesce(
            inventory_keys.identity_id is null
            and chosen_anchors.anchor_key_type = all_keys.key_type
            and chosen_anchors.anchor_key_value = all_keys.key_value,
            false
        ) as is_own_anchor,
        observed_per_key.kind_rank,
        key_dataset_lists.source_datasets,
        coalesce(observed_per_key.observation_count, 0) as observation_count,
        observed_per_key.first_seen_at,
        observed_per_key.last_seen_at,
        coalesce(inventory_keys._source_file, observed_first_file._source_file) as _source_file,
        coalesce(inventory_keys._line, observed_first_file.first_line) as _line
    from all_keys
    left join inventory_keys
        on
            all_keys.key_type = inventory_keys.key_type
            and all_keys.key_value = inventory_keys.key_value
    left join chosen_anchors
        on
            all_keys.key_type = chosen_anchors.key_type
            and all_keys.key_value = chosen_anchors.key_value
    left join observed_per_key
        on
            all_keys.key_type = observed_per_key.key_type
            and all_keys.key_value = observed_per_key.key_value
    left join observed_first_file
        on
            all_keys.key_type = observed_first_file.key_type
            and all_keys.key_value = observed_first_file.key_value
    left join key_dataset_lists
        on
            all_keys.key_type = key_dataset_lists.key_type
            and all_keys.key_value = key_dataset_lists.key_value

),

-- an unknown identity's kind: what the records of its anchor key suggest, else any of its keys
unknown_kinds as (

    select
        identity_id,
        coalesce(
            min(case when is_own_anchor then kind_rank end),
            min(kind_rank)
        ) as kind_rank
    from resolved
    where resolution_method = 'unresolved'
    group by identity_id

),

final as (

    select
        resolved.key_type,
        resolved.key_value,
        resolved.identity_id,
        resolved.resolution_method,
        resolved.anchor_key_type,
        resolved.anchor_key_value,
        inventory_latest.record_id is not null as is_in_inventory,
        coalesce(
            inventory_latest.identity_kind,
            {{ spine_kind_of_rank('unknown_kinds.kind_rank') }},
            'api_key'
        ) as identity_kind,
        inventory_latest.owner_team,
        inventory_latest.ai_system_id,
        {{ spine_kind_of_rank('resolved.kind_rank') }} as kind_hint,
        resolved.source_datasets,
        resolved.observation_count,
        resolved.first_seen_at,
        resolved.last_seen_at,
        resolved._source_file,
        resolved._line
    from resolved
    left join inventory_latest
        on resolved.identity_id = inventory_latest.record_id
    left join unknown_kinds
        on resolved.identity_id = unknown_kinds.identity_id

)

select * from final
