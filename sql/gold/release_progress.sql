-- one row per jira release (project and version name): its issues by status category, done share, remaining work, findings
-- config: materialized=view
with releases as (

    select * from jira_releases

),

release_issues as (

    select * from int_progress__release_issues

),

totals as (

    select
        project_key,
        release_name,
        any_value(release_id) as release_id,
        count(*) as issues,
        count(*) filter (where status_category = 'new') as issues_to_do,
        count(*) filter (where status_category = 'indeterminate') as issues_in_progress,
        count(*) filter (where status_category = 'done') as issues_done,
        coalesce(sum(story_points), 0) as story_points,
        coalesce(sum(story_points) filter (where status_category = 'done'), 0) as story_points_done,
        count(distinct epic_issue_key) as epics,
        sum(anomaly_findings) as anomaly_findings,
        max(done_at) as last_done_at
    from release_issues
    group by project_key, release_name

),

final as (

    select
        coalesce(releases.project_key, totals.project_key) as project_key,
        coalesce(releases.release_id, totals.release_id) as release_id,
        coalesce(releases.release_name, totals.release_name) as release_name,
        coalesce(releases.is_released, false) as is_released,
        coalesce(releases.is_archived, false) as is_archived,
        releases.release_date,
        coalesce(releases.is_overdue, false) as is_overdue,
        coalesce(totals.issues, 0) as issues,
        coalesce(totals.issues_to_do, 0) as issues_to_do,
        coalesce(totals.issues_in_progress, 0) as issues_in_progress,
        coalesce(totals.issues_done, 0) as issues_done,
        coalesce(totals.issues, 0) - coalesce(totals.issues_done, 0) as issues_remaining,
        totals.issues_done / nullif(totals.issues, 0) as done_ratio,
        coalesce(totals.story_points, 0) as story_points,
        coalesce(totals.story_points, 0) - coalesce(totals.story_points_done, 0) as story_points_remaining,
        coalesce(totals.epics, 0) as epics,
        coalesce(totals.anomaly_findings, 0) as anomaly_findings,
        totals.last_done_at
    from releases
    full outer join totals
        on releases.project_key = totals.project_key
        and releases.release_name = totals.release_name

)

select * from final
