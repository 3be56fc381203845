-- one row per bitbucket pull request with its merge time (the merge commit's date, else its last update)
-- config: materialized=view
with pull_requests as (

    select * from bitbucket_pull_requests

),

commits as (

    select repository_full_name, commit_hash, committed_at from bitbucket_commits

),

final as (

    select
        pull_requests.*,
        case
            when pull_requests.state = 'MERGED' then coalesce(commits.committed_at, pull_requests.updated_at)
        end as merged_at
    from pull_requests
    left join commits
        on pull_requests.repository_full_name = commits.repository_full_name
        and pull_requests.merge_commit_hash = commits.commit_hash

)

select * from final
