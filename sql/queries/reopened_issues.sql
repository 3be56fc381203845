-- name: reopened_issues
-- description: Issues moved from a done status back to a status not done, from the status history
-- param: days integer = 90  -- reopened in the last N days
with changes as (

    select history.*
    from jira_issue_field_history as history
    where history.field_id = 'status' and history.changed_at >= now() - to_days($days)

),

statuses as (

    select status_id::varchar as status_id, status_category from jira_statuses

)

select changes.issue_key, changes.from_string as from_status, changes.to_string as to_status, changes.changed_at,
    changes.author_account_id as reopened_by
from changes
inner join statuses as before
    on changes.from_value = before.status_id
inner join statuses as after
    on changes.to_value = after.status_id
where before.status_category = 'done' and after.status_category <> 'done'
order by changes.changed_at desc, changes.issue_key
