-- name: open_issues_by_assignee
-- description: Workload: issues not done per assignee, by status category, with their story points
-- param: project varchar = null  -- a project key; null: every project
select
    coalesce(users.display_name, issues.assignee_account_id, '(unassigned)') as assignee,
    count(*) as open_issues,
    count(*) filter (where issues.status_category = 'indeterminate') as in_progress,
    count(*) filter (where issues.status_category = 'new') as to_do,
    coalesce(sum(issues.story_points), 0) as story_points
from jira_issues as issues
left join jira_users as users
    on issues.assignee_account_id = users.account_id
where not issues.is_deleted and issues.status_category <> 'done'
    and ($project is null or upper(issues.project_key) = upper($project))
group by all
order by open_issues desc, assignee
