-- name: stale_issues
-- description: Issues not done and not updated for N days, oldest first
-- param: days integer = 30  -- days without an update
-- param: project varchar = null  -- a project key; null: every project
select
    issues.issue_key,
    issues.issue_type,
    issues.status,
    coalesce(users.display_name, issues.assignee_account_id) as assignee,
    issues.updated_at,
    date_diff('day', issues.updated_at, now()) as days_since_update
from jira_issues as issues
left join jira_users as users
    on issues.assignee_account_id = users.account_id
where not issues.is_deleted and issues.status_category <> 'done' and issues.updated_at < now() - to_days($days)
    and ($project is null or upper(issues.project_key) = upper($project))
order by issues.updated_at, issues.issue_key
