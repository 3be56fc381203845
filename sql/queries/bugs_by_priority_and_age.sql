-- name: bugs_by_priority_and_age
-- description: Open bugs per priority and age (days since created): under 7, 7-30, 30-90, over 90
-- param: project varchar = null  -- a project key; null: every project
with bugs as (

    select *, date_diff('day', created_at, now()) as age_days
    from jira_issues
    where issue_category = 'bug' and status_category <> 'done' and not is_deleted
        and ($project is null or upper(project_key) = upper($project))

)

select
    priority,
    count(*) as open_bugs,
    count(*) filter (where age_days < 7) as under_7d,
    count(*) filter (where age_days >= 7 and age_days < 30) as d7_30,
    count(*) filter (where age_days >= 30 and age_days < 90) as d30_90,
    count(*) filter (where age_days >= 90) as over_90d,
    max(age_days) as oldest_days
from bugs
group by priority
order by priority
