-- one row per jira release and issue in it (not deleted, not a sub-task): its status category, points and findings
-- config: materialized=view
-- A release is a (project, release name) pair: a label can name a release the project has no version
-- for (release_id null). Sub-tasks count with their parent, not on their own.
with memberships as (

    select distinct project_key, release_id, release_name, issue_id
    from jira_issue_releases

),

issues as (

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
        memberships.project_key,
        memberships.release_id,
        memberships.release_name,
        issues.issue_id,
        issues.issue_key,
        issues.epic_issue_key,
        issues.status_category,
        issues.story_points,
        issues.created_at,
        -- when it became done (resolution date, else when its status category last changed)
        case when issues.status_category = 'done' then coalesce(issues.resolved_at, issues.status_changed_at) end
            as done_at,
        coalesce(findings.anomaly_findings, 0) as anomaly_findings
    from memberships
    inner join issues
        on memberships.issue_id = issues.issue_id
    left join findings
        on issues.issue_key = findings.issue_key

)

select * from final
