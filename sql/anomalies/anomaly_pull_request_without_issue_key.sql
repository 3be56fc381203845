-- one row per open or merged bitbucket pull request naming no jira key in its title, description or branch
-- config: materialized=view
with pull_requests as (

    select * from bitbucket_pull_requests

),

mentions as (

    select * from int_delivery__issue_key_mentions where entity = 'pull_request'

),

final as (

    select
        'pull_request_without_issue_key' as anomaly_type,
        'warning' as severity,
        'bitbucket_pull_request' as entity,
        pull_requests.pull_request_key as entity_key,
        lower(pull_requests.state) || ' pull request ' || pull_requests.pull_request_key || ' ("'
            || coalesce(pull_requests.title, '') || '", branch ' || coalesce(pull_requests.source_branch, '?')
            || ') names no Jira issue key of a known project' as detail
    from pull_requests
    where pull_requests.state in ('OPEN', 'MERGED')
        and not exists (
            select 1 from mentions where mentions.pull_request_key = pull_requests.pull_request_key
        )

)

select * from final
