-- one row per bitbucket pull request and commit listed by its commits endpoint
-- config: materialized=merge unique_key=pull_request_key,commit_hash version=_ingested_at
with pr_commits as (

    select * from bronze_bitbucket_pr_commits

),

final as (

    select
        coalesce(__parent ->> 'repository', payload.repository.full_name) || '#'
            || (__parent ->> 'pull_request_id') as pull_request_key,
        coalesce(__parent ->> 'repository', payload.repository.full_name) as repository_full_name,
        (__parent ->> 'pull_request_id')::bigint as pull_request_id,
        payload.hash as commit_hash,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from pr_commits

)

select * from final
