with

source as (

    {{ deduplicated_landing('ai', 'anthropic_cost') }}

),

renamed as (

    select
        {{ surrogate_key([
            'starting_at',
            'workspace_id',
            'description',
            'cost_type',
            'token_type',
            'model',
            'service_tier',
            'context_window',
            'inference_geo',
            '_file_sha256'
        ]) }}
            as cost_row_id,
        starting_at as bucket_start_at,
        ending_at as bucket_end_at,
        cast(amount as {{ money_type() }}) as amount_cents,
        cast(amount * 0.01 as {{ money_type() }}) as amount,
        upper(trim(currency)) as currency,
        workspace_id,
        description as cost_description,
        cost_type,
        token_type,
        model as model_name,
        service_tier,
        context_window,
        inference_geo,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
