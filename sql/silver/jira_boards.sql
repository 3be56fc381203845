-- one row per jira agile board: its latest ingested state
-- config: materialized=merge unique_key=board_id version=_ingested_at
with boards as (

    select * from bronze_jira_boards

),

final as (

    select
        payload.id as board_id,
        payload.name as board_name,
        payload.type as board_type,
        payload.location.projectKey as project_key,
        payload.location.projectId::bigint as project_id,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from boards

)

select * from final
