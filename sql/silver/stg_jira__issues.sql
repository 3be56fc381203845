-- one row per jira issue: its latest version (by updated, then ingestion time), without derived columns
-- config: materialized=merge unique_key=issue_id version=updated_at,_ingested_at
with records as (

    select * from stg_jira__issue_records

),

final as (

    select * exclude (comments, worklogs, histories)
    from records

)

select * from final
