-- one row per jira release and issue counted in it (see int_progress__issues)
-- config: materialized=view
-- A release is a (project, release name) pair: a label can name a release the project has no version
-- for (release_id null).
with memberships as (

    select distinct project_key, release_id, release_name, issue_id
    from jira_issue_releases

),

issues as (

    select * from int_progress__issues

),

final as (

    select
        memberships.project_key,
        memberships.release_id,
        memberships.release_name,
        issues.* exclude (project_key)
    from memberships
    inner join issues
        on memberships.issue_id = issues.issue_id

)

select * from final
