-- one row per changed field of a jira changelog history (history id, item position)
-- config: materialized=merge unique_key=history_id,item_index version=_ingested_at
-- Histories come embedded in issues (changelog.histories, possibly truncated) and from the
-- issue_changelogs stream (one history per record); both are unioned and de-duplicated by id.
with embedded as (

    select issue_id, issue_key, _run_id, _ingested_at, unnest(histories) as history
    from stg_jira__issue_records

),

streamed as (

    select
        (__parent ->> 'issue_id')::bigint as issue_id,
        __parent ->> 'issue_key' as issue_key,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at,
        payload as history
    from bronze_jira_issue_changelogs

),

histories as (

    select * from embedded
    union all by name
    select * from streamed

),

items as (

    select
        * exclude (history),
        history.id::bigint as history_id,
        history.created as changed_at,
        history.author.accountId as author_account_id,
        unnest(history.items) as item,
        generate_subscripts(history.items, 1) as item_index
    from histories

),

final as (

    select
        history_id,
        item_index,
        issue_id,
        issue_key,
        changed_at,
        author_account_id,
        coalesce(item.fieldId, item.field) as field_id,
        item.field as field_name,
        item.fieldtype as field_type,
        item."from" as from_value,
        item.fromString as from_string,
        item."to" as to_value,
        item.toString as to_string,
        _run_id,
        _ingested_at
    from items

)

select * from final
