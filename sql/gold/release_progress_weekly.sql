-- one row per jira release and week (monday, UTC) from its first issue's creation to the latest data: scope and done
-- config: materialized=view
-- A burn-up on today's membership and status: an issue counts in the scope from the week it was created,
-- and as done from the week it was resolved if it is done now. The last week is the one holding the
-- latest issue update in the warehouse (so the view does not move with the clock).
with release_issues as (

    select * from int_progress__release_issues

),

data_end as (

    select date_trunc('week', max(updated_at at time zone 'UTC'))::date as last_week
    from jira_issues

),

weeks as (

    select
        release_issues.project_key,
        release_issues.release_name,
        unnest(generate_series(
            date_trunc('week', min(release_issues.created_at at time zone 'UTC'))::date,
            any_value(data_end.last_week),
            interval 7 day
        ))::date as week_start
    from release_issues, data_end
    group by release_issues.project_key, release_issues.release_name

),

final as (

    select
        weeks.project_key,
        any_value(release_issues.release_id) as release_id,
        weeks.release_name,
        weeks.week_start,
        count(release_issues.issue_id) as issues,
        count(release_issues.issue_id) filter (
            where release_issues.done_at < weeks.week_start + interval 7 day
        ) as issues_done,
        issues - issues_done as issues_remaining
    from weeks
    left join release_issues
        on weeks.project_key = release_issues.project_key
        and weeks.release_name = release_issues.release_name
        and release_issues.created_at < weeks.week_start + interval 7 day
    group by weeks.project_key, weeks.release_name, weeks.week_start

)

select * from final
