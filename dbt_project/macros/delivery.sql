{#
    Team resolution of delivery rows (Four Keys deployments, changes, incidents; work items). Four Keys itself
    emits no team (its BigQuery schema has none), so a row's team is, in this order: the row's own `team`, the
    team the seed `repository_teams` gives its repository, else the explicit team `unassigned`. A row is never
    dropped for want of a team; the warn test assert_delivery_team_assigned reports the unassigned share.
#}

{# delivery_unassigned_team(): the team label of rows no source assigns, as a SQL string literal. #}
{% macro delivery_unassigned_team() -%}
    'unassigned'
{%- endmacro %}


{#
    delivery_team(own_team, mapped_team='null'): the resolved team. `mapped_team` is the repository_teams.team
    the caller joined on the row's repository (left out for rows without a repository, e.g. work items).
#}
{% macro delivery_team(own_team, mapped_team='null') -%}
    coalesce({{ own_team }}, {{ mapped_team }}, {{ delivery_unassigned_team() }})
{%- endmacro %}


{# delivery_team_source(own_team, mapped_team='null'): where the resolved team came from (`row`, `repository_map`, `unassigned`). #}
{% macro delivery_team_source(own_team, mapped_team='null') -%}
    case
        when {{ own_team }} is not null then 'row'
        when {{ mapped_team }} is not null then 'repository_map'
        else 'unassigned'
    end
{%- endmacro %}


{#
    delivery_median_lead_time_minutes(): the median lead time of the grouped rows of int_delivery__deployment_changes,
    as Four Keys takes it: over the positive lead times only (a non-positive one is left out, not zero).
#}
{% macro delivery_median_lead_time_minutes() -%}
    cast(
        percentile_cont(0.5) within group (
            order by case when is_positive_lead_time then lead_time_minutes end
        ) as {{ ai_roi_ledger.double_type() }}
    )
{%- endmacro %}
