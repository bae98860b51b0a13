-- The defensive ledger: benefit rows and risk counter-entry rows per AI system x quarter (`row_type`), never
-- netted into one figure. What each row and column means: _security__models.yml; the rows: int_defensive__*.

with

benefit_rows as (

    select * from {{ ref('int_defensive__benefits') }}

),

counter_rows as (

    select * from {{ ref('int_defensive__risk_counter_entries') }}

),

unioned as (

    select
        ai_system_id,
        quarter_start,
        'benefit' as row_type,
        entry_type,
        entry_type as benefit_type,
        quantity,
        quantity_unit,
        amount_usd,
        exposure_unit_cost_usd,
        scope_categories,
        months_covered,
        baseline_incidents_per_month,
        current_incidents_per_month,
        current_incident_count,
        baseline_mean_loss_usd,
        baseline_mean_response_hours,
        current_mean_response_hours,
        baseline_mean_restore_hours,
        current_mean_restore_hours,
        baseline_mean_affected_identities,
        current_mean_affected_identities,
        baseline_mean_affected_secrets,
        current_mean_affected_secrets,
        cast(null as bigint) as denied_decision_count,
        cast(null as bigint) as unblocked_violation_count
    from benefit_rows

    union all

    select
        ai_system_id,
        quarter_start,
        'risk_counter_entry' as row_type,
        entry_type,
        cast(null as {{ dbt.type_string() }}) as benefit_type,
        quantity,
        quantity_unit,
        amount_usd,
        exposure_unit_cost_usd,
        cast(null as {{ dbt.type_string() }}) as scope_categories,
        cast(null as {{ double_type() }}) as months_covered,
        cast(null as {{ double_type() }}) as baseline_incidents_per_month,
        cast(null as {{ double_type() }}) as current_incidents_per_month,
        cast(null as bigint) as current_incident_count,
        cast(null as {{ double_type() }}) as baseline_mean_loss_usd,
        cast(null as {{ double_type() }}) as baseline_mean_response_hours,
        cast(null as {{ double_type() }}) as current_mean_response_hours,
        cast(null as {{ double_type() }}) as baseline_mean_restore_hours,
        cast(null as {{ double_type() }}) as current_mean_restore_hours,
        cast(null as {{ double_type() }}) as baseline_mean_affected_identities,
        cast(null as {{ double_type() }}) as current_mean_affected_identities,
        cast(null as {{ double_type() }}) as baseline_mean_affected_secrets,
        cast(null as {{ double_type() }}) as current_mean_affected_secrets,
        denied_decision_count,
        unblocked_violation_count
    from counter_rows

),

final as (

    select
        {{ surrogate_key(['ai_system_id', 'quarter_start', 'row_type', 'entry_type']) }} as defensive_roi_key,
        ai_system_id,
        quarter_start,
        row_type,
        entry_type,
        benefit_type,
        cast(quantity as {{ double_type() }}) as quantity,
        quantity_unit,
        cast(cast(amount_usd as decimal(38, 6)) as {{ money_type() }}) as amount_usd,
        cast(exposure_unit_cost_usd as {{ double_type() }}) as exposure_unit_cost_usd,
        scope_categories,
        cast(months_covered as {{ double_type() }}) as months_covered,
        cast(baseline_incidents_per_month as {{ double_type() }}) as baseline_incidents_per_month,
        cast(current_incidents_per_month as {{ double_type() }}) as current_incidents_per_month,
        cast(current_incident_count as bigint) as current_incident_count,
        cast(baseline_mean_loss_usd as {{ double_type() }}) as baseline_mean_loss_usd,
        cast(baseline_mean_response_hours as {{ double_type() }}) as baseline_mean_response_hours,
        cast(current_mean_response_hours as {{ double_type() }}) as current_mean_response_hours,
        cast(baseline_mean_restore_hours as {{ double_type() }}) as baseline_mean_restore_hours,
        cast(current_mean_restore_hours as {{ double_type() }}) as current_mean_restore_hours,
        cast(baseline_mean_affected_identities as {{ double_type() }}) as baseline_mean_affected_identities,
        cast(current_mean_affected_identities as {{ double_type() }}) as current_mean_affected_identities,
        cast(baseline_mean_affected_secrets as {{ double_type() }}) as baseline_mean_affected_secrets,
        cast(current_mean_affected_secrets as {{ double_type() }}) as current_mean_affected_secrets,
        cast(denied_decision_count as bigint) as denied_decision_count,
        cast(unblocked_violation_count as bigint) as unblocked_violation_count
    from unioned

)

select * from final
