-- one row per jira project: its latest ingested state
-- config: materialized=merge unique_key=project_id version=_ingested_at
with projects as (

    select * from bronze_jira_projects

),

final as (

    select
        payload.id::bigint as project_id,
        payload.key as project_key,
        payload.name as project_name,
        payload.projectTypeKey as project_type_key,
        payload.style as project_style,
        payload.projectCategory.name as project_category,
        payload.lead.accountId as lead_account_id,
        coalesce(payload.archived, false) as is_archived,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from projects

)

select * from final
