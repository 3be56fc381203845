-- name: stale_issues
-- description: Issues not done and not updated for N days, oldest first
-- param: days integer = 30  -- days without an update
-- param: project varchar = null  -- a project key; null: every project
select issue_key, issue_type, status, assignee_account_id, updated_at,
    date_diff('day', updated_at, now()) as days_since_update
from jira_issues
where not is_deleted and status_category <> 'done' and updated_at < now() - to_days($days)
    and ($project is null or upper(project_key) = upper($project))
order by updated_at, issue_key
