-- one row per jira issue and bitbucket commit naming it, or a commit (or the merge) of a pull request naming it
-- config: materialized=view
with mentions as (

    select * from int_delivery__issue_key_mentions
    where entity = 'commit' and issue_id is not null

),

issue_pull_requests as (

    select * from issue_pull_requests

),

pull_request_commits as (

    select * from stg_delivery__pull_request_commits

),

pull_requests as (

    select * from bitbucket_pull_requests

),

commits as (

    select * from bitbucket_commits

),

linked as (

    select issue_id, issue_key, repository_full_name, commit_hash, 'message' as via
    from mentions
    union all
    select links.issue_id, links.issue_key, links.repository_full_name, pull_request_commits.commit_hash, 'pull_request'
    from issue_pull_requests as links
    inner join pull_request_commits
        on links.pull_request_key = pull_request_commits.pull_request_key
    union all
    select links.issue_id, links.issue_key, links.repository_full_name, pull_requests.merge_commit_hash, 'pull_request'
    from issue_pull_requests as links
    inner join pull_requests
        on links.pull_request_key = pull_requests.pull_request_key
    where pull_requests.merge_commit_hash is not null

),

final as (

    select
        linked.issue_id,
        linked.issue_key,
        commits.repository_full_name,
        commits.commit_hash,
        commits.committed_at,
        list_sort(list_distinct(list(linked.via))) as via
    from linked
    inner join commits
        on linked.repository_full_name = commits.repository_full_name
        and linked.commit_hash = commits.commit_hash
    group by all

)

select * from final
