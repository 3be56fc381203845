-- one row per jira issue (not deleted) of a configured incident type, with its time to restore
-- config: materialized=view
with issues as (

    select * from jira_issues

),

config as (

    select * from _silver_delivery_config

),

final as (

    select
        issues.issue_id,
        issues.issue_key,
        issues.project_key,
        issues.issue_type,
        issues.status,
        issues.priority,
        issues.created_at,
        issues.resolved_at,
        issues.resolved_at is not null as is_resolved,
        epoch(issues.resolved_at) - epoch(issues.created_at) as time_to_restore_seconds
    from issues
    cross join config
    where not issues.is_deleted
        and list_contains(config.incident_issue_types, lower(issues.issue_type))

)

select * from final
