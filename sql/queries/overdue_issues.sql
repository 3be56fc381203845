-- name: overdue_issues
-- description: Issues not done whose due date has passed
-- param: project varchar = null  -- a project key; null: every project
select issue_key, issue_type, status, due_date, date_diff('day', due_date, current_date) as days_overdue, summary
from jira_issues
where not is_deleted and status_category <> 'done' and due_date < current_date
    and ($project is null or upper(project_key) = upper($project))
order by due_date, issue_key
