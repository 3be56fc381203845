-- one row per story, bug or task (not deleted) that belongs to no epic
-- config: materialized=view
with issues as (

    select * from jira_issues

),

final as (

    select
        'issue_without_epic' as anomaly_type,
        'warning' as severity,
        'jira_issue' as entity,
        issue_key as entity_key,
        issue_category || ' ' || issue_key || ' has no epic (neither fields.parent nor the Epic Link field)'
            as detail
    from issues
    where issue_category in ('story', 'bug', 'task')
        and epic_issue_key is null
        and not is_deleted

)

select * from final
