-- name: epic_points
-- description: Per epic: its issues (sub-tasks rolled up), how many are done, story points done and in total (see also the epic_progress mart)
-- param: project varchar = null  -- a project key; null: every project
select
    epics.issue_key as epic_key,
    epics.status as epic_status,
    count(children.issue_id) as issues,
    count(children.issue_id) filter (where children.status_category = 'done') as done,
    coalesce(sum(children.story_points), 0) as points,
    coalesce(sum(children.story_points) filter (where children.status_category = 'done'), 0) as points_done
from jira_epics as epics
left join jira_issues as children
    on children.epic_issue_key = epics.issue_key and not children.is_deleted
where not epics.is_deleted and ($project is null or upper(epics.project_key) = upper($project))
group by all
order by epics.issue_key
