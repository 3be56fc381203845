-- one row per jira comment: its latest version (by updated, then ingestion time), issue deletions not applied
-- config: materialized=merge unique_key=comment_id version=updated_at,_ingested_at
-- Comments come embedded in issues (fields.comment, possibly truncated) and from the comments stream.
with embedded as (

    select issue_id, issue_key, _run_id, _ingested_at, unnest(comments) as comment
    from stg_jira__issue_records

),

streamed as (

    select
        coalesce((__parent ->> 'issue_id')::bigint, payload.issueId::bigint) as issue_id,
        __parent ->> 'issue_key' as issue_key,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at,
        payload as comment
    from bronze_jira_comments

),

unioned as (

    select * from embedded
    union all by name
    select * from streamed

),

final as (

    select
        comment.id::bigint as comment_id,
        issue_id,
        issue_key,
        comment.author.accountId as author_account_id,
        comment.updateAuthor.accountId as update_author_account_id,
        comment.created as created_at,
        comment.updated as updated_at,
        -- API v2 gives the body as text, v3 as an ADF document (kept as its JSON text)
        case json_type(comment.body) when 'VARCHAR' then comment.body ->> '$' else comment.body::varchar end
            as body,
        coalesce(json_type(comment.body) = 'OBJECT', false) as is_body_adf,
        comment.jsdPublic as is_public,
        comment.visibility.type as visibility_type,
        comment.visibility.value as visibility_value,
        _run_id,
        _ingested_at
    from unioned

)

select * from final
