-- one row per issue release membership taken from a label because the issue has no fixVersion
-- config: materialized=view
with memberships as (

    select * from jira_issue_releases

),

final as (

    select
        'release_from_label' as anomaly_type,
        'info' as severity,
        'jira_issue' as entity,
        issue_key as entity_key,
        issue_key || ' is in release ' || release_name || ' only through its label ' || matched_label
            || ' (no fixVersion)' as detail
    from memberships
    where membership_source = 'label'

)

select * from final
