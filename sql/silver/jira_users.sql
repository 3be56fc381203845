-- one row per jira user (account): its latest ingested state
-- config: materialized=merge unique_key=account_id version=_ingested_at
with users as (

    select * from bronze_jira_users

),

final as (

    select
        payload.accountId as account_id,
        payload.displayName as display_name,
        payload.emailAddress as email_address,
        payload.accountType as account_type,
        coalesce(payload.active, false) as is_active,
        payload.timeZone as time_zone,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from users

)

select * from final
