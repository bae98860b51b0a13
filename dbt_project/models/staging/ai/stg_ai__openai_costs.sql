with

source as (

    {{ deduplicated_landing('ai', 'openai_costs') }}

),

renamed as (

    select
        {{ surrogate_key(['bucket_start', 'project_id', 'line_item', 'api_key_id', '_file_sha256']) }}
            as cost_row_id,
        bucket_start as bucket_start_at,
        bucket_end as bucket_end_at,
        cast(amount as {{ money_type() }}) as amount,
        upper(trim(currency)) as currency,
        line_item,
        project_id,
        api_key_id,
        quantity,
        quantity_unit,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
