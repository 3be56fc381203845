-- one row per done story, bug or task (not deleted) that belongs to no release
-- config: materialized=view
with issues as (

    select * from jira_issues

),

memberships as (

    select * from jira_issue_releases

),

final as (

    select
        'done_without_release' as anomaly_type,
        'warning' as severity,
        'jira_issue' as entity,
        issues.issue_key as entity_key,
        issues.issue_category || ' ' || issues.issue_key || ' is done (' || coalesce(issues.status, '?')
            || ') but has no fixVersion and no release label' as detail
    from issues
    where issues.status_category = 'done'
        and issues.issue_category in ('story', 'bug', 'task')
        and not issues.is_deleted
        and not exists (select 1 from memberships where memberships.issue_id = issues.issue_id)

)

select * from final
