-- Advisory check (warn, never blocking): the share of Four Keys rows (production deployments, changes,
-- incidents) whose team is `unassigned`: no team of their own and no repository in the seed repository_teams.
-- They are not lost (fct_delivery_performance counts them under the team `unassigned`, the productivity
-- ledger leaves that team out), but they are not attributed to a team either. Warns with one row per dataset
-- that has any, showing the counts and the share; fill repository_teams to assign them. The failing rows are
-- stored in the build database (schema dbt_test__audit).
{{ config(severity='warn', store_failures=true) }}

with

coverage as (

    select * from {{ ref('int_delivery__team_coverage') }}

)

select
    dataset,
    row_count,
    unassigned_count,
    unassigned_share,
    repository_map_count,
    cast(unassigned_count as {{ dbt.type_string() }}) || ' of ' || cast(row_count as {{ dbt.type_string() }})
    || ' ' || dataset || ' ('
    || cast(round(cast(unassigned_share * 100 as {{ dbt.type_numeric() }}), 2) as {{ dbt.type_string() }})
    || '%) have no team and no repository in seed repository_teams: counted under team unassigned'
        as failure_reason
from coverage
where unassigned_count > 0
