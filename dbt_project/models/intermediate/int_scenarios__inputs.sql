-- The inputs of the Monte Carlo scenario model, one row per candidate scenario: an observed figure replaces the
-- row's assumption where the row asks for it and the spine has it, and every `*_source` column says which was
-- used and why. Description: _scenario_inputs__models.yml.

{%- set min_days = var('scenario_observed_min_days') %}
{%- set min_incidents = var('scenario_observed_min_incidents') %}
{%- set life = var('useful_life_months') %}

with

flags as (

    select * from {{ ref('int_scenarios__observed') }}

),

resolved as (

    select
        scenario_id,
        ai_system_id,
        ledger,
        scenario_description,
        input_origin,
        ai_system_known,
        ai_system_sanctioned,
        superseded_by,
        incident_category,
        use_observed,
        currency,
        horizon_years,
        -- frequency
        wants_observed_frequency and observed_rate is not null as frequency_observed,
        case when wants_observed_frequency and observed_rate is not null then 'poisson' else frequency_model end
            as frequency_model,
        case when wants_observed_frequency and observed_rate is not null then null else frequency_low end
            as frequency_low,
        case when wants_observed_frequency and observed_rate is not null then observed_rate else frequency_mode end
            as frequency_mode,
        case when wants_observed_frequency and observed_rate is not null then null else frequency_high end
            as frequency_high,
        case
            when wants_observed_frequency and observed_rate is not null
                then {{ dbt.concat([
                    "'observed: '",
                    "cast(observed_incident_count as " ~ dbt.type_string() ~ ")",
                    "' '", "incident_category", "' incidents in '",
                    "cast(observed_history_days as " ~ dbt.type_string() ~ ")",
                    "' days before adoption on '",
                    "cast(observed_adoption_date as " ~ dbt.type_string() ~ ")",
                    "' (stg_security__incidents)'",
                ]) }}
            when wants_observed_frequency
                then {{ dbt.concat([
                    "'assumption (observed frequency unavailable: '",
                    "case when incident_category is null then 'no incident_category' "
                    ~ "when observed_history_days is null then 'no adoption date or incident history' "
                    ~ "when observed_history_days < " ~ min_days ~ " then 'under " ~ min_days
                    ~ " days of history before adoption' else 'no incident before adoption' end",
                    "'): '",
                    "frequency_citation",
                ]) }}
            else frequency_citation
        end as frequency_source,
        -- loss per event
        wants_observed_loss and observed_loss_low is not null as loss_observed,
        case
            when wants_observed_loss and observed_loss_low is not null
                then {{ money_from_double('observed_loss_low') }}
            else loss_low_90
        end as loss_low_90,
        case
            when wants_observed_loss and observed_loss_low is not null
                then {{ money_from_double('observed_loss_high') }}
            else loss_high_90
        end as loss_high_90,
        case
            when wants_observed_loss and observed_loss_low is not null
                then {{ dbt.concat([
                    "'observed: p5-p95 of '",
                    "cast(observed_loss_count as " ~ dbt.type_string() ~ ")",
                    "' '", "incident_category", "' incident losses in '", "currency",
                    "', response hours valued at " ~ var('security_hourly_rate')
                    ~ " an hour (stg_security__incidents)'",
                ]) }}
            when wants_observed_loss
                then {{ dbt.concat([
                    "'assumption (observed loss unavailable: '",
                    "case when incident_category is null then 'no incident_category' "
                    ~ "else 'under " ~ min_incidents ~ " incidents with a loss in the currency' end",
                    "'): '",
                    "loss_citation",
                ]) }}
            else loss_citation
        end as loss_source,
        -- control
        control_efficacy,
        loss_reduction,
        control_citation as control_source,
        wants_observed_control_cost and observed_annual_cost is not null as control_cost_observed,
        case
            when wants_observed_control_cost and observed_annual_cost is not null then observed_annual_cost
            else annual_control_cost
        end as annual_control_cost,
        case
            when wants_observed_control_cost and observed_annual_cost is not null
                then {{ dbt.concat([
                    "'observed: cost lines of '", "ai_system_id", "' in '", "currency", "', '",
                    "cast(observed_cost_months as " ~ dbt.type_string() ~ ")",
                    "' month(s) of running cost in the 12 months to as_of, annualised, plus one-time cost of '",
                    "cast(cast(observed_one_time_cost as decimal(38, 2)) as " ~ dbt.type_string() ~ ")",
                    "' over " ~ life ~ " months (fct_cost_lines)'",
                ]) }}
            when wants_observed_control_cost
                then {{ dbt.concat([
                    "'assumption (no cost lines of '", "ai_system_id", "' in '", "currency", "'): '",
                    "control_cost_citation",
                ]) }}
            else control_cost_citation
        end as control_cost_source,
        _source_file,
        _line
    from flags

)

select * from resolved
