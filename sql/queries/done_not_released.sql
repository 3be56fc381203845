-- name: done_not_released
-- description: Stories, bugs and tasks done but in no released version (none at all, or only unreleased ones)
-- param: project varchar = null  -- a project key; null: every project
with done as (

    select * from jira_issues
    where not is_deleted and status_category = 'done' and issue_category in ('story', 'bug', 'task')
        and ($project is null or upper(project_key) = upper($project))

),

memberships as (

    select memberships.issue_id, string_agg(memberships.release_name, ', ' order by memberships.release_name)
        as releases, bool_or(coalesce(releases.is_released, false)) as any_released
    from jira_issue_releases as memberships
    left join jira_releases as releases
        on memberships.release_id = releases.release_id
    group by memberships.issue_id

),

final as (

    select done.issue_key, done.issue_type, done.summary, done.resolved_at, memberships.releases
    from done
    left join memberships
        on done.issue_id = memberships.issue_id
    where not coalesce(memberships.any_released, false)

)

select * from final
order by resolved_at desc nulls last, issue_key
