-- one row per MANUAL local correction in conflict with a later Jira change of the same field
-- config: materialized=view
with conflicts as (

    select * from corrections_conflicts

),

final as (

    select
        'correction_conflict' as anomaly_type,
        'warning' as severity,
        'jira_issue' as entity,
        issue_key as entity_key,
        'the local correction of ' || field || ' by ' || author || ' (made against Jira ' || jira_updated::varchar
            || ') conflicts with a Jira change at ' || jira_changed_at::varchar || ': Jira ' || coalesce(jira_value, 'null')
            || ', local ' || coalesce(local_value, 'null') as detail
    from conflicts

)

select * from final
