-- one row per jira status: its latest ingested state
-- config: materialized=merge unique_key=status_id version=_ingested_at
with statuses as (

    select * from bronze_jira_statuses

),

final as (

    select
        payload.id::bigint as status_id,
        payload.name as status_name,
        payload.statusCategory.key as status_category,
        payload.statusCategory.name as status_category_name,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from statuses

)

select * from final
