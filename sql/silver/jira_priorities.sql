-- one row per jira priority: its latest ingested state
-- config: materialized=merge unique_key=priority_id version=_ingested_at
with priorities as (

    select * from bronze_jira_priorities

),

final as (

    select
        payload.id::bigint as priority_id,
        payload.name as priority_name,
        payload.description as description,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from priorities

)

select * from final
