-- name: blocked_issues
-- description: Issues not done that another issue not done blocks ("X blocks Y")
-- param: project varchar = null  -- a project key; null: every project
select
    blocked.issue_key,
    blocked.status,
    blocked.summary,
    string_agg(blockers.issue_key, ', ' order by blockers.issue_key) as blocked_by
from jira_issue_links as links
inner join jira_issues as blocked
    on links.to_issue_id = blocked.issue_id
inner join jira_issues as blockers
    on links.from_issue_id = blockers.issue_id
where links.link_type = 'Blocks'
    and blocked.status_category <> 'done' and blockers.status_category <> 'done'
    and not blocked.is_deleted and not blockers.is_deleted
    and ($project is null or upper(blocked.project_key) = upper($project))
group by all
order by blocked.issue_key
