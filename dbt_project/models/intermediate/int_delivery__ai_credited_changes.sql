-- The changes AI coding tools are credited with, one row per change: by their author (an agent's GitHub login,
-- seed ai_author_logins: `agent_author`), else by a `Co-authored-by:` trailer of the commit message naming an
-- AI tool (seed ai_co_authors, matched case-insensitively: `co_author_trailer`). A change with trailers of
-- several tools is credited to the first product in name order. Changes neither names are people's.

with

changes as (

    select
        change_id,
        author_login,
        lower(commit_message) as commit_message
    from {{ ref('stg_delivery__changes') }}

),

agents as (

    select * from {{ ref('ai_author_logins') }}

),

co_authors as (

    select * from {{ ref('ai_co_authors') }}

),

authored as (

    select
        changes.change_id,
        agents.ai_product
    from changes
    inner join agents
        on changes.author_login = agents.login

),

trailers as (

    select
        changes.change_id,
        min(co_authors.ai_product) as ai_product
    from changes
    inner join co_authors
        on changes.commit_message like ('%co-authored-by:%' || co_authors.email_pattern || '%')
    group by changes.change_id

),

final as (

    select
        coalesce(authored.change_id, trailers.change_id) as change_id,
        coalesce(authored.ai_product, trailers.ai_product) as ai_product,
        case when authored.change_id is not null then 'agent_author' else 'co_author_trailer' end as ai_credit
    from authored
    full outer join trailers
        on authored.change_id = trailers.change_id

)

select * from final
