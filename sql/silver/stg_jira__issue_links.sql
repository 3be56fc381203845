-- one row per jira issue link (from the issue its outward description applies to), issue deletions not applied
-- config: materialized=merge unique_key=issue_link_id version=_ingested_at
-- Each link is listed by both issues (as outwardIssue on one side, inwardIssue on the other);
-- both records normalise to the same row.
with links as (

    select * from bronze_jira_issue_links

),

final as (

    select
        payload.id::bigint as issue_link_id,
        payload.type.name as link_type,
        payload.type.outward as outward_description,
        payload.type.inward as inward_description,
        coalesce(payload.inwardIssue.id, __parent ->> 'issue_id')::bigint as from_issue_id,
        coalesce(payload.inwardIssue.key, __parent ->> 'issue_key') as from_issue_key,
        coalesce(payload.outwardIssue.id, __parent ->> 'issue_id')::bigint as to_issue_id,
        coalesce(payload.outwardIssue.key, __parent ->> 'issue_key') as to_issue_key,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from links

)

select * from final
