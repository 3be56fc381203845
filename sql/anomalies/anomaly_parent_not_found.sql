-- one row per issue whose parent issue is not in the warehouse
-- config: materialized=view
with issues as (

    select * from jira_issues

),

final as (

    select
        'parent_not_found' as anomaly_type,
        'warning' as severity,
        'jira_issue' as entity,
        child.issue_key as entity_key,
        child.issue_key || ' has parent ' || child.parent_issue_key || ', which is not in the warehouse' as detail
    from issues as child
    where child.parent_issue_key is not null
        and not child.is_deleted
        and not exists (
            select 1 from issues as parent
            where parent.issue_id = child.parent_issue_id or parent.issue_key = child.parent_issue_key
        )

)

select * from final
