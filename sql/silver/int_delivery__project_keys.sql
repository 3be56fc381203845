-- one row per jira key prefix recognised in texts: every known project key, plus the configured aliases
-- config: materialized=view
with projects as (

    select project_key from jira_projects

),

issues as (

    select distinct project_key from stg_jira__issues

),

aliases as (

    select * from _silver_delivery_key_aliases

),

known as (

    select upper(project_key) as project_key from projects where project_key is not null
    union
    select upper(project_key) from issues where project_key is not null

),

final as (

    select project_key as key_prefix, project_key, false as is_alias
    from known
    union all
    -- a real project key always wins over an alias spelled the same
    select aliases.alias, aliases.project_key, true
    from aliases
    where aliases.alias not in (select project_key from known)

)

select * from final
