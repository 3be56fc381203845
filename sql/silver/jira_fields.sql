-- one row per jira field (system and custom): its latest ingested definition
-- config: materialized=merge unique_key=field_id version=_ingested_at
with fields as (

    select * from bronze_jira_fields

),

final as (

    select
        payload.id as field_id,
        payload.name as field_name,
        coalesce(payload.custom, false) as is_custom,
        payload.schema.type as schema_type,
        payload.schema.items as schema_items,
        payload.schema.custom as schema_custom,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from fields

)

select * from final
