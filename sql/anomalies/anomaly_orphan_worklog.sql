-- one row per worklog whose issue is not in the warehouse
-- config: materialized=view
with worklogs as (

    select * from jira_worklogs

),

issues as (

    select issue_id from stg_jira__issues

),

final as (

    select
        'orphan_worklog' as anomaly_type,
        'warning' as severity,
        'jira_worklog' as entity,
        worklogs.worklog_id::varchar as entity_key,
        'worklog ' || worklogs.worklog_id || ' belongs to issue '
            || coalesce(worklogs.issue_key, worklogs.issue_id::varchar, '?') || ', which is not in the warehouse'
            as detail
    from worklogs
    where not worklogs.is_deleted
        and not exists (select 1 from issues where issues.issue_id = worklogs.issue_id)

)

select * from final
