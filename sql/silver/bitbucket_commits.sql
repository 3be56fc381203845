-- one row per bitbucket commit and repository (from the commits and pr_commits streams)
-- config: materialized=merge unique_key=repository_full_name,commit_hash version=_ingested_at
with commits as (

    select * from bronze_bitbucket_commits
    union all
    select * from bronze_bitbucket_pr_commits

),

final as (

    select
        coalesce(__parent ->> 'repository', payload.repository.full_name) as repository_full_name,
        payload.hash as commit_hash,
        payload.message as message,
        payload.date as committed_at,
        payload.author.raw as author_raw,
        payload.author.user.uuid as author_uuid,
        payload.author.user.account_id as author_account_id,
        payload.author.user.display_name as author_display_name,
        coalesce(list_transform(payload.parents, p -> p.hash), []) as parent_hashes,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from commits

)

select * from final
