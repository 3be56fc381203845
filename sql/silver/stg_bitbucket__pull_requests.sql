-- one row per bitbucket pull request: its latest version (by updated_on, then ingestion time)
-- config: materialized=merge unique_key=pull_request_key version=updated_at,_ingested_at
with pull_requests as (

    select * from bronze_bitbucket_pull_requests

),

final as (

    select
        __id ->> '$' as pull_request_key,
        coalesce(__parent ->> 'repository', payload.destination.repository.full_name) as repository_full_name,
        payload.id as pull_request_id,
        payload.title as title,
        payload.description as description,
        payload.state as state,
        payload.author.uuid as author_uuid,
        payload.author.account_id as author_account_id,
        payload.author.display_name as author_display_name,
        payload.source.branch.name as source_branch,
        payload.source.commit.hash as source_commit_hash,
        payload.destination.branch.name as destination_branch,
        payload.destination.commit.hash as destination_commit_hash,
        payload.merge_commit.hash as merge_commit_hash,
        payload.closed_by.uuid as closed_by_uuid,
        payload.comment_count as comment_count,
        payload.task_count as task_count,
        payload.created_on as created_at,
        payload.updated_on as updated_at,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from pull_requests

)

select * from final
