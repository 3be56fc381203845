-- one row per jira worklog (latest version), flagged when Jira reported it deleted
-- config: materialized=view
with worklogs as (

    select * from stg_jira__worklogs

),

deletions as (

    select * from stg_jira__worklog_deletions

),

final as (

    select
        worklogs.*,
        deletions.worklog_id is not null as is_deleted,
        deletions.deleted_at
    from worklogs
    left join deletions
        on worklogs.worklog_id = deletions.worklog_id

)

select * from final
