-- name: lead_time
-- description: Lead time (created → resolved) per team and issue type
-- param: days integer = 90  -- issues resolved in the last N days
with issues as (

    select * from jira_issues
    where not is_deleted and resolved_at >= now() - to_days($days)

),

final as (

    select
        coalesce(team_name, '(no team)') as team,
        issue_type,
        count(*) as issues,
        round(quantile_cont(epoch(resolved_at - created_at) / 86400, 0.5), 2) as lead_days_p50,
        round(quantile_cont(epoch(resolved_at - created_at) / 86400, 0.9), 2) as lead_days_p90
    from issues
    group by all

)

select * from final
order by team, issue_type
