-- one row per jira issue and bitbucket pull request whose title, description or source branch names it
-- config: materialized=view
with mentions as (

    select * from int_delivery__issue_key_mentions
    where entity = 'pull_request' and issue_id is not null

),

pull_requests as (

    select * from bitbucket_pull_requests

),

final as (

    select
        mentions.issue_id,
        mentions.issue_key,
        pull_requests.pull_request_key,
        pull_requests.repository_full_name,
        pull_requests.pull_request_id,
        pull_requests.title,
        pull_requests.state,
        pull_requests.source_branch,
        pull_requests.author_uuid,
        pull_requests.created_at,
        pull_requests.merged_at,
        list_sort(list_distinct(list(mentions.found_in))) as found_in
    from mentions
    inner join pull_requests
        on mentions.pull_request_key = pull_requests.pull_request_key
    group by all

)

select * from final
