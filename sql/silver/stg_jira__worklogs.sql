-- one row per jira worklog: its latest version (by updated, then ingestion time), deletions not applied
-- config: materialized=merge unique_key=worklog_id version=updated_at,_ingested_at
-- Worklogs come embedded in issues (fields.worklog, possibly truncated) and from the worklogs stream.
with embedded as (

    select issue_id, issue_key, _run_id, _ingested_at, unnest(worklogs) as worklog
    from stg_jira__issue_records

),

streamed as (

    select
        coalesce((__parent ->> 'issue_id')::bigint, payload.issueId::bigint) as issue_id,
        __parent ->> 'issue_key' as issue_key,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at,
        payload as worklog
    from bronze_jira_worklogs

),

unioned as (

    select * from embedded
    union all by name
    select * from streamed

),

final as (

    select
        worklog.id::bigint as worklog_id,
        issue_id,
        issue_key,
        worklog.author.accountId as author_account_id,
        worklog.updateAuthor.accountId as update_author_account_id,
        worklog.started as started_at,
        worklog.timeSpentSeconds as time_spent_seconds,
        worklog.created as created_at,
        worklog.updated as updated_at,
        case json_type(worklog.comment) when 'VARCHAR' then worklog.comment ->> '$' else worklog.comment::varchar end
            as comment,
        _run_id,
        _ingested_at
    from unioned

)

select * from final
