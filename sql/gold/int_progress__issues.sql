-- one row per jira issue counted in progress (not deleted, not a sub-task): status category, points, when done, findings
-- config: materialized=view
-- Sub-tasks count with their parent, not on their own.
with issues as (

    select * from jira_issues
    where not is_deleted and not is_subtask

),

findings as (

    select entity_key as issue_key, count(*) as anomaly_findings
    from anomalies
    where entity = 'jira_issue'
    group by all

),

final as (

    select
        issues.issue_id,
        issues.issue_key,
        issues.project_key,
        issues.issue_category,
        issues.epic_issue_key,
        issues.status_category,
        issues.story_points,
        issues.created_at,
        -- when it became done (resolution date, else when its status category last changed)
        case when issues.status_category = 'done' then coalesce(issues.resolved_at, issues.status_changed_at) end
            as done_at,
        coalesce(findings.anomaly_findings, 0) as anomaly_findings
    from issues
    left join findings
        on issues.issue_key = findings.issue_key

)

select * from final
