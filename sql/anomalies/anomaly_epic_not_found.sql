-- one row per issue whose epic key names an issue that is not in the warehouse
-- config: materialized=view
with issues as (

    select * from jira_issues

),

final as (

    select
        'epic_not_found' as anomaly_type,
        'warning' as severity,
        'jira_issue' as entity,
        child.issue_key as entity_key,
        child.issue_key || ' has epic ' || child.epic_issue_key || ', which is not in the warehouse' as detail
    from issues as child
    where child.epic_issue_key is not null
        and not child.is_deleted
        and child.epic_issue_key not in (select issue_key from issues)

)

select * from final
