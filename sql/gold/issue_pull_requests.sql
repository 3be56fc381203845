-- one row per jira issue and bitbucket pull request whose title, source branch or description names it
-- config: materialized=view
with pull_requests as (

    select * from bitbucket_pull_requests

),

issues as (

    select issue_id, issue_key from stg_jira__issues

),

mentions as (

    select pull_request_key, 'title' as found_in, unnest(regexp_extract_all(title, '\b([A-Z][A-Z0-9_]+-[1-9][0-9]*)\b', 1)) as issue_key
    from pull_requests
    union all
    select pull_request_key, 'branch', unnest(regexp_extract_all(source_branch, '\b([A-Z][A-Z0-9_]+-[1-9][0-9]*)\b', 1))
    from pull_requests
    union all
    select pull_request_key, 'description', unnest(regexp_extract_all(description, '\b([A-Z][A-Z0-9_]+-[1-9][0-9]*)\b', 1))
    from pull_requests

),

final as (

    select
        issues.issue_id,
        mentions.issue_key,
        pull_requests.pull_request_key,
        pull_requests.repository_full_name,
        pull_requests.pull_request_id,
        pull_requests.state,
        list_sort(list_distinct(list(mentions.found_in))) as found_in
    from mentions
    inner join issues
        on mentions.issue_key = issues.issue_key
    inner join pull_requests
        on mentions.pull_request_key = pull_requests.pull_request_key
    group by all

)

select * from final
