-- one row per jira worklog reported deleted by /worklog/deleted
-- config: materialized=merge unique_key=worklog_id version=deleted_at,_ingested_at
with deletions as (

    select * from bronze_jira_worklog_deletions

),

final as (

    select
        payload.worklogId as worklog_id,
        to_timestamp(payload.updatedTime / 1000) as deleted_at,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from deletions

)

select * from final
