-- name: corrections_status
-- description: The local corrections' latest logged outcome (applied, jira_changed, jira_newer, conflict, issue_not_found)
-- param: outcome varchar = null  -- one outcome; null: every correction
select correction_id, issue_key, field, strategy, outcome, jira_value, local_value, jira_changed_at, author, reason,
    logged_at
from corrections_log
where $outcome is null or outcome = lower($outcome)
qualify row_number() over (partition by correction_id order by logged_at desc) = 1
order by issue_key, field
