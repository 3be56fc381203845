-- one row per jira sprint: its latest ingested state
-- config: materialized=merge unique_key=sprint_id version=_ingested_at
with sprints as (

    select * from bronze_jira_sprints

),

final as (

    select
        payload.id as sprint_id,
        payload.name as sprint_name,
        payload.state as sprint_state,
        payload.goal as goal,
        coalesce(payload.originBoardId, (__parent ->> 'board_id')::bigint) as board_id,
        payload.createdDate as created_at,
        payload.startDate as started_at,
        payload.endDate as ended_at,
        payload.completeDate as completed_at,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from sprints

)

select * from final
