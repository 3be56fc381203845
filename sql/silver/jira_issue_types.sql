-- one row per jira issue type: its latest ingested state
-- config: materialized=merge unique_key=issue_type_id version=_ingested_at
with issue_types as (

    select * from bronze_jira_issue_types

),

final as (

    select
        payload.id::bigint as issue_type_id,
        payload.name as issue_type_name,
        payload.hierarchyLevel as hierarchy_level,
        coalesce(payload.subtask, false) as is_subtask,
        payload.description as description,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from issue_types

)

select * from final
