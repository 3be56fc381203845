-- one row per jira epic (not deleted): its issues by status category, done share, remaining work, releases, findings
-- config: materialized=view
-- Its issues are those whose epic it is (jira_issues.epic_issue_key), counted as int_progress__issues does.
with epics as (

    select * from jira_issues
    where issue_category = 'epic' and not is_deleted

),

counted as (

    select * from int_progress__issues

),

children as (

    select * from counted
    where epic_issue_key is not null and issue_category != 'epic'

),

epic_releases as (

    select issue_id, list_sort(list(distinct release_name)) as release_names
    from jira_issue_releases
    group by issue_id

),

totals as (

    select
        children.epic_issue_key,
        count(*) as issues,
        count(*) filter (where children.status_category = 'new') as issues_to_do,
        count(*) filter (where children.status_category = 'indeterminate') as issues_in_progress,
        count(*) filter (where children.status_category = 'done') as issues_done,
        coalesce(sum(children.story_points), 0) as story_points,
        coalesce(sum(children.story_points) filter (where children.status_category = 'done'), 0)
            as story_points_done,
        sum(children.anomaly_findings) as anomaly_findings
    from children
    group by children.epic_issue_key

),

final as (

    select
        epics.project_key,
        epics.issue_key as epic_issue_key,
        epics.summary as epic_summary,
        epics.status as epic_status,
        epics.status_category as epic_status_category,
        coalesce(epic_releases.release_names, []) as release_names,
        coalesce(totals.issues, 0) as issues,
        coalesce(totals.issues_to_do, 0) as issues_to_do,
        coalesce(totals.issues_in_progress, 0) as issues_in_progress,
        coalesce(totals.issues_done, 0) as issues_done,
        coalesce(totals.issues, 0) - coalesce(totals.issues_done, 0) as issues_remaining,
        totals.issues_done / nullif(totals.issues, 0) as done_ratio,
        coalesce(totals.story_points, 0) as story_points,
        coalesce(totals.story_points, 0) - coalesce(totals.story_points_done, 0) as story_points_remaining,
        coalesce(totals.anomaly_findings, 0) + coalesce(epic_findings.anomaly_findings, 0) as anomaly_findings
    from epics
    left join totals
        on epics.issue_key = totals.epic_issue_key
    left join epic_releases
        on epics.issue_id = epic_releases.issue_id
    left join counted as epic_findings
        on epics.issue_id = epic_findings.issue_id

)

select * from final
