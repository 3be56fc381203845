-- one row per merged bitbucket pull request and linked jira issue (not deleted) that is not done
-- config: materialized=view
with links as (

    select * from issue_pull_requests where state = 'MERGED'

),

issues as (

    select * from jira_issues

),

final as (

    select
        'merged_pull_request_issue_not_done' as anomaly_type,
        'warning' as severity,
        'bitbucket_pull_request' as entity,
        links.pull_request_key as entity_key,
        'pull request ' || links.pull_request_key || ' is merged but its issue ' || issues.issue_key || ' is '
            || coalesce(issues.status, '?') || ' (not done)' as detail
    from links
    inner join issues
        on links.issue_id = issues.issue_id
    where not issues.is_deleted
        and issues.status_category is distinct from 'done'

)

select * from final
