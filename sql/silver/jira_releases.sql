-- one row per jira version (release): its latest ingested state
-- config: materialized=merge unique_key=release_id version=_ingested_at
with versions as (

    select * from bronze_jira_versions

),

final as (

    select
        payload.id::bigint as release_id,
        payload.name as release_name,
        coalesce(payload.projectId, __parent ->> 'project_id')::bigint as project_id,
        __parent ->> 'project_key' as project_key,
        payload.description as description,
        coalesce(payload.released, false) as is_released,
        coalesce(payload.archived, false) as is_archived,
        payload.overdue as is_overdue,
        payload.startDate as start_date,
        payload.releaseDate as release_date,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from versions

)

select * from final
