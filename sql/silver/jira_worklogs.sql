-- one row per jira worklog (latest version), flagged when Jira reported it deleted or its issue was deleted
-- config: materialized=view
with worklogs as (

    select * from stg_jira__worklogs

),

deletions as (

    select * from stg_jira__worklog_deletions

),

deleted_issues as (

    select issue_id from int_jira__deleted_issues

),

final as (

    select
        worklogs.*,
        deletions.worklog_id is not null
            or coalesce(worklogs.issue_id in (select issue_id from deleted_issues), false) as is_deleted,
        deletions.deleted_at
    from worklogs
    left join deletions
        on worklogs.worklog_id = deletions.worklog_id

)

select * from final
