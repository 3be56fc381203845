-- name: done_without_pr
-- description: Stories, bugs and tasks done without any linked pull request
-- param: days integer = 90  -- resolved in the last N days
-- param: project varchar = null  -- a project key; null: every project
select issues.issue_key, issues.issue_type, issues.summary, issues.resolved_at
from jira_issues as issues
where not issues.is_deleted and issues.status_category = 'done' and issues.issue_category in ('story', 'bug', 'task')
    and issues.resolved_at >= now() - to_days($days)
    and ($project is null or upper(issues.project_key) = upper($project))
    and not exists (select 1 from issue_pull_requests as links where links.issue_id = issues.issue_id)
order by issues.resolved_at desc, issues.issue_key
