-- name: unassigned_in_active_sprints
-- description: Issues in an active sprint without an assignee
-- param: project varchar = null  -- a project key; null: every project
select memberships.sprint_name, issues.issue_key, issues.issue_type, issues.status, issues.summary
from jira_issue_sprints as memberships
inner join jira_issues as issues
    on memberships.issue_id = issues.issue_id
where memberships.sprint_state = 'active' and issues.assignee_account_id is null and not issues.is_deleted
    and ($project is null or upper(issues.project_key) = upper($project))
order by memberships.sprint_name, issues.issue_key
