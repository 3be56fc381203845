-- name: epics_without_release
-- description: Epics (not done) that belong to no release, with how many of their issues do
-- param: project varchar = null  -- a project key; null: every project
with epics as (

    select * from jira_epics
    where not is_deleted and status_category <> 'done'
        and ($project is null or upper(project_key) = upper($project))

),

children_in_releases as (

    select issues.epic_issue_key, count(distinct issues.issue_id) as children_in_releases
    from jira_issues as issues
    inner join jira_issue_releases as memberships
        on issues.issue_id = memberships.issue_id
    where not issues.is_deleted
    group by issues.epic_issue_key

),

final as (

    select
        epics.issue_key as epic_key,
        epics.summary,
        epics.status,
        coalesce(children_in_releases.children_in_releases, 0) as children_in_releases
    from epics
    left join children_in_releases
        on epics.issue_key = children_in_releases.epic_issue_key
    where not exists (select 1 from jira_issue_releases as m where m.issue_id = epics.issue_id)

)

select * from final
order by epic_key
