-- name: cycle_time
-- description: Cycle time (first move to an in-progress status → resolved) per team and issue type, from the status history
-- param: days integer = 90  -- issues resolved in the last N days
with issues as (

    select * from jira_issues
    where not is_deleted and resolved_at >= now() - to_days($days)

),

started as (

    select periods.issue_id, min(periods.valid_from) as started_at
    from jira_issue_field_periods as periods
    inner join jira_statuses as statuses
        on periods.value_id = statuses.status_id::varchar or lower(periods.value_name) = lower(statuses.status_name)
    where periods.field = 'status' and statuses.status_category = 'indeterminate'
    group by periods.issue_id

),

final as (

    select
        coalesce(issues.team_name, '(no team)') as team,
        issues.issue_type,
        count(*) as issues,
        round(quantile_cont(epoch(issues.resolved_at - started.started_at) / 86400, 0.5), 2) as cycle_days_p50,
        round(quantile_cont(epoch(issues.resolved_at - started.started_at) / 86400, 0.9), 2) as cycle_days_p90
    from issues
    inner join started
        on issues.issue_id = started.issue_id
    where started.started_at <= issues.resolved_at
    group by all

)

select * from final
order by team, issue_type
