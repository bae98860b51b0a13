-- Identity resolution: every key of the inventory and of the sources mapped to one identity_id (inventory, else
-- its anchor's inventory identity, else an unknown identity of its own). The rules: _intermediate__models.yml.

with

inventory as (

    select * from {{ ref('int_inventory__latest') }}
    where record_type = 'identity'

),

observed as (

    select * from {{ ref('int_identity__observed_keys') }}

),

inventory_keys as (

    select * from {{ ref('int_identity__inventory_keys') }}

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
        coalesce(min(case when is_own_anchor then kind_rank end), min(kind_rank)) as kind_rank
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
        inventory.record_id is not null as is_in_inventory,
        coalesce(
            inventory.identity_kind,
            {{ spine_kind_of_rank('unknown_kinds.kind_rank') }},
            'api_key'
        ) as identity_kind,
        inventory.owner_team,
        inventory.ai_system_id,
        {{ spine_kind_of_rank('resolved.kind_rank') }} as kind_hint,
        resolved.source_datasets,
        resolved.observation_count,
        resolved.first_seen_at,
        resolved.last_seen_at,
        resolved._source_file,
        resolved._line
    from resolved
    left join inventory
        on resolved.identity_id = inventory.record_id
    left join unknown_kinds
        on resolved.identity_id = unknown_kinds.identity_id

)

select * from final
