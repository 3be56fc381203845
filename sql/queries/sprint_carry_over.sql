-- name: sprint_carry_over
-- description: Issues carried over: in a closed sprint, not done when it completed, and in a later (or future) sprint too
-- param: project varchar = null  -- a project key; null: every project
with memberships as (

    select * from jira_issue_sprints
    where $project is null or upper(project_key) = upper($project)

),

closed as (

    select * from memberships
    where sprint_state = 'closed'

),

final as (

    select
        closed.issue_key,
        closed.sprint_name as from_sprint,
        min_by(later.sprint_name, coalesce(later.started_at, 'infinity'::timestamptz)) as to_sprint,
        count(distinct later.sprint_id) + 1 as sprints,
        issues.status
    from closed
    inner join memberships as later
        on closed.issue_id = later.issue_id
        and (later.started_at > closed.started_at or later.started_at is null)  -- a future sprint has no dates yet
    inner join jira_issues as issues
        on closed.issue_id = issues.issue_id
    where not issues.is_deleted
        and (issues.resolved_at is null or issues.resolved_at > coalesce(closed.completed_at, closed.ended_at))
    group by closed.issue_key, closed.sprint_name, closed.started_at, issues.status

)

select * from final
order by issue_key, from_sprint
