-- Usage cost reconciles to the cent: per source dataset, the cost in fct_ai_usage equals the total of the
-- staged source records (int_usage__costs_totalled: the landed LiteLLM `spend`, and the landed OpenAI tokens x
-- seed model_prices), and every record is in fct_ai_usage once. Fails with the dataset, both totals and the
-- differences. Error severity: a blocking asset check on fct_ai_usage.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'fct_ai_usage'}}}) }}

with

usage_facts as (

    select * from {{ ref('fct_ai_usage') }}

),

expected as (

    select * from {{ ref('int_usage__costs_totalled') }}

),

observed as (

    select
        source_dataset,
        sum(usage_record_count) as observed_record_count,
        sum(cost_amount) as observed_cost
    from usage_facts
    group by source_dataset

),

compared as (

    select
        coalesce(expected.source_dataset, observed.source_dataset) as source_dataset,
        expected.record_count as expected_record_count,
        observed.observed_record_count,
        expected.unpriced_record_count,
        expected.expected_cost_usd as expected_cost,
        observed.observed_cost,
        coalesce(observed.observed_cost, 0) - coalesce(expected.expected_cost_usd, 0) as cost_difference
    from expected
    full outer join observed
        on expected.source_dataset = observed.source_dataset

)

select * from compared
where
    expected_cost is null
    or observed_cost is null
    or unpriced_record_count > 0
    or coalesce(expected_record_count, 0) <> coalesce(observed_record_count, 0)
    or cost_difference >= 0.005
    or cost_difference <= -0.005
