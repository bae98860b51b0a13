-- The inputs of the Monte Carlo scenario model (docs/METHOD.md section 4), one row per candidate
-- scenario, before the model validates them (orchestration/scenarios: impossible rows are quarantined there,
-- with this row's file and line, and never stop the others).
-- Candidates:
--   user rows       stg_assumptions__scenarios; a scenario_id given in several rows keeps the most recently
--                   ingested one (then file, then line); the others carry `superseded_by` and are not simulated
--   library rows    seed scenario_library, for every sanctioned registered AI system with no user row at all:
--                   the entries of its category, else the `any` entries; scenario_id `<library_id>:<system>`
-- Observed figures (`use_observed`, a semicolon list) replace the row's assumption where the spine has them;
-- each `*_source` column says which figure was used and why:
--   frequency     incidents of `incident_category` before the system's adoption date, per year, over the history
--                 from the first security incident to adoption (at least var scenario_observed_min_days, one
--                 incident or more): a Poisson rate
--   loss          the incident category's losses plus response hours x var security_hourly_rate, per incident
--                 in the scenario's currency (at least var scenario_observed_min_incidents): p5-p95 as the 90% range
--   control_cost  the system's cost lines in the scenario's currency: recurring, usage-based and support lines of
--                 the 12 months to as_of, annualised over the months billed, plus its one-time lines spread over
--                 var useful_life_months

{%- set min_days = var('scenario_observed_min_days') %}
{%- set min_incidents = var('scenario_observed_min_incidents') %}
{%- set life = var('useful_life_months') %}

with

user_rows as (

    select * from {{ ref('stg_assumptions__scenarios') }}

),

library as (

    select * from {{ ref('scenario_library') }}

),

systems as (

    select * from {{ ref('dim_ai_system') }}

),

incidents as (

    select * from {{ ref('stg_security__incidents') }}

),

cost_lines as (

    select * from {{ ref('fct_cost_lines') }}
    where ai_system_id is not null

),

user_ranked as (

    select
        user_rows.*,
        row_number() over (
            partition by user_rows.scenario_id
            order by user_rows._ingested_at desc, user_rows._source_file desc, user_rows._line desc
        ) as version_rank,
        first_value(
            {{ dbt.concat([
                "user_rows._source_file", "' line '", "cast(user_rows._line as " ~ dbt.type_string() ~ ")",
            ]) }}
        ) over (
            partition by user_rows.scenario_id
            order by user_rows._ingested_at desc, user_rows._source_file desc, user_rows._line desc
            rows between unbounded preceding and unbounded following
        ) as latest_version
    from user_rows

),

user_scenarios as (

    select
        scenario_id,
        ai_system_id,
        ledger,
        scenario_description,
        frequency_model,
        cast(frequency_low as {{ double_type() }}) as frequency_low,
        cast(frequency_mode as {{ double_type() }}) as frequency_mode,
        cast(frequency_high as {{ double_type() }}) as frequency_high,
        loss_low_90,
        loss_high_90,
        currency,
        cast(control_efficacy as {{ double_type() }}) as control_efficacy,
        cast(loss_reduction as {{ double_type() }}) as loss_reduction,
        annual_control_cost,
        horizon_years,
        incident_category,
        use_observed,
        'assumptions/scenarios' as input_origin,
        source_citation as frequency_citation,
        source_citation as loss_citation,
        source_citation as control_citation,
        source_citation as control_cost_citation,
        case when version_rank > 1 then latest_version end as superseded_by,
        _source_file,
        _line
    from user_ranked

),

systems_with_user_rows as (

    select distinct ai_system_id from user_rows

),

library_categories as (

    select distinct applies_to_category from library

),

library_targets as (

    select
        systems.ai_system_id,
        coalesce(library_categories.applies_to_category, 'any') as library_category
    from systems
    left join library_categories
        on systems.ai_system_category = library_categories.applies_to_category
    left join systems_with_user_rows
        on systems.ai_system_id = systems_with_user_rows.ai_system_id
    where
        systems.is_sanctioned
        and systems.system_type = 'registered'
        and systems_with_user_rows.ai_system_id is null
        and {{ 'true' if var('scenario_library_enabled') else 'false' }}

),

library_scenarios as (

    select
        {{ dbt.concat(["library.library_id", "':'", "library_targets.ai_system_id"]) }} as scenario_id,
        library_targets.ai_system_id,
        library.ledger,
        library.description as scenario_description,
        library.frequency_model,
        cast(library.frequency_low as {{ double_type() }}) as frequency_low,
        cast(library.frequency_mode as {{ double_type() }}) as frequency_mode,
        cast(library.frequency_high as {{ double_type() }}) as frequency_high,
        cast(library.loss_low_90 as {{ money_type() }}) as loss_low_90,
        cast(library.loss_high_90 as {{ money_type() }}) as loss_high_90,
        library.currency,
        cast(library.control_efficacy as {{ double_type() }}) as control_efficacy,
        cast(library.loss_reduction as {{ double_type() }}) as loss_reduction,
        cast(library.annual_control_cost as {{ money_type() }}) as annual_control_cost,
        library.horizon_years,
        cast(null as {{ dbt.type_string() }}) as incident_category,
        library.use_observed,
        'scenario_library' as input_origin,
        library.frequency_source as frequency_citation,
        library.loss_source as loss_citation,
        library.control_source as control_citation,
        library.control_cost_source as control_cost_citation,
        cast(null as {{ dbt.type_string() }}) as superseded_by,
        'seeds/scenario_library.csv' as _source_file,
        cast(null as {{ dbt.type_bigint() }}) as _line
    from library_targets
    inner join library
        on library_targets.library_category = library.applies_to_category

),

candidates as (

    select * from user_scenarios
    union all
    select * from library_scenarios

),

history as (

    select min(started_at) as history_start from incidents

),

observed_frequency as (

    select
        candidates.scenario_id,
        max(systems.adoption_date) as adoption_date,
        max({{ dbt.datediff('history.history_start', 'systems.adoption_date', 'day') }}) as history_days,
        count(incidents.finding_uid) as incident_count
    from candidates
    inner join systems
        on candidates.ai_system_id = systems.ai_system_id
    cross join history
    left join incidents
        on
            candidates.incident_category = incidents.incident_category
            and systems.adoption_date > incidents.started_at
    where candidates.incident_category is not null and systems.adoption_date is not null
    group by candidates.scenario_id

),

incident_losses as (

    select
        incident_category,
        currency,
        cast(loss_amount as {{ double_type() }})
        + coalesce(cast(response_hours as {{ double_type() }}), 0) * {{ var('security_hourly_rate') }} as loss
    from incidents
    where loss_amount is not null

),

observed_loss_by_category as (

    select
        incident_category,
        currency,
        count(*) as incident_count,
        cast(percentile_cont(0.05) within group (order by loss) as {{ double_type() }}) as loss_p5,
        cast(percentile_cont(0.95) within group (order by loss) as {{ double_type() }}) as loss_p95
    from incident_losses
    group by incident_category, currency

),

cost_window as (

    select
        ai_system_id,
        billing_currency,
        effective_cost,
        billing_month,
        cost_class
    from cost_lines
    where billing_month <= {{ spine_as_of_date() }}

),

observed_cost as (

    select
        ai_system_id,
        billing_currency,
        sum(case
            when cost_class <> 'one_time' and billing_month > {{ dbt.dateadd('month', -12, spine_as_of_date()) }}
                then effective_cost
            else 0
        end) as running_cost_12m,
        count(distinct case
            when cost_class <> 'one_time' and billing_month > {{ dbt.dateadd('month', -12, spine_as_of_date()) }}
                then billing_month
        end) as months_billed,
        sum(case when cost_class = 'one_time' then effective_cost else 0 end) as one_time_cost
    from cost_window
    group by ai_system_id, billing_currency

),

observed_cost_annual as (

    select
        ai_system_id,
        billing_currency,
        months_billed,
        one_time_cost,
        cast(
            case when months_billed > 0 then running_cost_12m * 12 / months_billed else 0 end
            + one_time_cost * 12 / {{ life }}
            as {{ money_type() }}
        ) as annual_cost
    from observed_cost

),

flags as (

    select
        candidates.*,
        systems.ai_system_id is not null as ai_system_known,
        coalesce(systems.is_sanctioned, false) as ai_system_sanctioned,
        candidates.use_observed is not null
        and {{ dbt.position("'frequency'", 'candidates.use_observed') }} > 0 as wants_observed_frequency,
        candidates.use_observed is not null
        and {{ dbt.position("'loss'", 'candidates.use_observed') }} > 0 as wants_observed_loss,
        candidates.use_observed is not null
        and {{ dbt.position("'control_cost'", 'candidates.use_observed') }} > 0 as wants_observed_control_cost,
        observed_frequency.incident_count as observed_incident_count,
        observed_frequency.history_days as observed_history_days,
        observed_frequency.adoption_date as observed_adoption_date,
        case
            when observed_frequency.history_days >= {{ min_days }} and observed_frequency.incident_count > 0
                then
                    cast(observed_frequency.incident_count as {{ double_type() }}) * 365.25
                    / observed_frequency.history_days
        end as observed_rate,
        observed_loss_by_category.incident_count as observed_loss_count,
        case
            when
                observed_loss_by_category.incident_count >= {{ min_incidents }}
                and observed_loss_by_category.loss_p5 > 0
                and observed_loss_by_category.loss_p95 > observed_loss_by_category.loss_p5
                then observed_loss_by_category.loss_p5
        end as observed_loss_low,
        observed_loss_by_category.loss_p95 as observed_loss_high,
        observed_cost_annual.annual_cost as observed_annual_cost,
        observed_cost_annual.months_billed as observed_cost_months,
        observed_cost_annual.one_time_cost as observed_one_time_cost
    from candidates
    left join systems
        on candidates.ai_system_id = systems.ai_system_id
    left join observed_frequency
        on candidates.scenario_id = observed_frequency.scenario_id
    left join observed_loss_by_category
        on
            candidates.incident_category = observed_loss_by_category.incident_category
            and candidates.currency = observed_loss_by_category.currency
    left join observed_cost_annual
        on
            candidates.ai_system_id = observed_cost_annual.ai_system_id
            and candidates.currency = observed_cost_annual.billing_currency

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
                then cast(observed_loss_low as {{ money_type() }})
            else loss_low_90
        end as loss_low_90,
        case
            when wants_observed_loss and observed_loss_low is not null
                then cast(observed_loss_high as {{ money_type() }})
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
