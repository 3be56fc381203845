-- name: sprint_commitment
-- description: Per sprint: issues and story points in it, and how many were done by its end
-- param: project varchar = null  -- a project key; null: every project
-- param: state varchar = null  -- closed, active or future; null: every sprint
with memberships as (

    select * from jira_issue_sprints
    where ($project is null or upper(project_key) = upper($project))
        and ($state is null or sprint_state = lower($state))

),

final as (

    select
        memberships.project_key,
        memberships.sprint_id,
        memberships.sprint_name,
        memberships.sprint_state,
        count(*) as committed,
        coalesce(sum(issues.story_points), 0) as committed_points,
        count(*) filter (
            where issues.resolved_at <= coalesce(memberships.completed_at, memberships.ended_at)
        ) as done,
        coalesce(sum(issues.story_points) filter (
            where issues.resolved_at <= coalesce(memberships.completed_at, memberships.ended_at)
        ), 0) as done_points
    from memberships
    inner join jira_issues as issues
        on memberships.issue_id = issues.issue_id
    where not issues.is_deleted
    group by all

)

select *, round(100.0 * done / committed, 1) as done_pct from final
order by project_key, sprint_id
