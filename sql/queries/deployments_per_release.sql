-- name: deployments_per_release
-- description: Per release: production deployments that shipped commits of its issues, the first and the last
-- param: project varchar = null  -- a project key; null: every project
with shipped as (

    select distinct
        memberships.project_key,
        memberships.release_name,
        deployments.build_key,
        deployments.finished_at,
        deployments.is_successful
    from jira_issue_releases as memberships
    inner join issue_commits
        on memberships.issue_id = issue_commits.issue_id
    inner join commit_deployments
        on issue_commits.commit_hash = commit_deployments.commit_hash
    inner join deployments
        on commit_deployments.deployment_build_key = deployments.build_key
    where deployments.is_production and ($project is null or upper(memberships.project_key) = upper($project))

)

select
    project_key,
    release_name,
    count(distinct build_key) as deployments,
    count(distinct build_key) filter (where is_successful) as successful,
    min(finished_at) as first_deployed_at,
    max(finished_at) as last_deployed_at
from shipped
group by all
order by project_key, release_name
