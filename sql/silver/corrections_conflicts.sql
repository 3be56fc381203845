-- one row per MANUAL correction that Jira changed after it was made: neither value wins until the steward decides
-- config: materialized=view
-- Jira's value stays in jira_issues meanwhile. Resolve by re-dating the correction (jira_updated) to
-- keep it, changing its strategy, or removing it from config/corrections.yaml.
-- Columns: correction_id (`<issue key>:<field>`), issue_id, issue_key, field; jira_value / local_value
-- (JSON); jira_updated (the Jira `updated` the correction was made against), jira_changed_at (the
-- field's later change in Jira's changelog), made_at, author, reason.
with outcomes as (

    select * from int_jira__correction_outcomes

),

final as (

    select
        correction_id,
        issue_id,
        issue_key,
        field,
        jira_value,
        local_value,
        jira_updated,
        jira_changed_at,
        made_at,
        author,
        reason
    from outcomes
    where outcome = 'conflict'

)

select * from final
