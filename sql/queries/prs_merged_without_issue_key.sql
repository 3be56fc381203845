-- name: prs_merged_without_issue_key
-- description: Merged pull requests that name no Jira issue (title, description or branch)
-- param: days integer = 90  -- merged (last updated) in the last N days
select pull_requests.repository_full_name, pull_requests.pull_request_id, pull_requests.title,
    pull_requests.source_branch, pull_requests.updated_at
from bitbucket_pull_requests as pull_requests
where pull_requests.state = 'MERGED' and pull_requests.updated_at >= now() - to_days($days)
    and not exists (
        select 1 from issue_pull_requests as links where links.pull_request_key = pull_requests.pull_request_key
    )
order by pull_requests.updated_at desc, pull_requests.repository_full_name, pull_requests.pull_request_id
