-- name: worklog_per_person_week
-- description: Hours logged per person and week (weeks from Monday, UTC)
-- param: weeks integer = 8  -- the last N weeks
select
    date_trunc('week', worklogs.started_at)::date as week_start,
    coalesce(users.display_name, worklogs.author_account_id) as person,
    round(sum(worklogs.time_spent_seconds) / 3600.0, 2) as hours,
    count(*) as worklogs
from jira_worklogs as worklogs
left join jira_users as users
    on worklogs.author_account_id = users.account_id
where not worklogs.is_deleted
    and worklogs.started_at >= date_trunc('week', now()) - to_weeks($weeks - 1)
group by all
order by week_start desc, hours desc, person
