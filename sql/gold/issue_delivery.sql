-- one row per jira issue (not deleted): first commit, pull request, merge, green build and production deployment
-- config: materialized=view
with issues as (

    select * from jira_issues

),

issue_commits as (

    select * from issue_commits

),

issue_pull_requests as (

    select * from issue_pull_requests

),

commit_builds as (

    select * from commit_builds

),

builds as (

    select * from jenkins_builds

),

deployments as (

    select build_key from deployments

),

commit_deployments as (

    select * from commit_deployments

),

config as (

    select * from _silver_delivery_config

),

commit_times as (

    select issue_id, min(committed_at) as first_commit_at
    from issue_commits
    group by issue_id

),

pull_request_times as (

    select
        issue_id,
        min(created_at) as first_pull_request_at,
        min(merged_at) as merged_at,
        count(*) as pull_requests
    from issue_pull_requests
    group by issue_id

),

-- successful builds that are not deployments, finished
build_times as (

    select
        issue_commits.issue_id,
        min(builds.started_at + to_microseconds((coalesce(builds.duration_seconds, 0) * 1000000)::bigint))
            as first_successful_build_at
    from issue_commits
    inner join commit_builds
        on issue_commits.repository_full_name = commit_builds.repository_full_name
        and issue_commits.commit_hash = commit_builds.commit_hash
    inner join builds
        on commit_builds.build_key = builds.build_key
    where builds.result = 'SUCCESS'
        and not builds.is_building
        and commit_builds.build_key not in (select build_key from deployments)
    group by issue_commits.issue_id

),

deployment_times as (

    select issue_commits.issue_id, min(commit_deployments.deployed_at) as first_production_deployment_at
    from issue_commits
    inner join commit_deployments
        on issue_commits.repository_full_name = commit_deployments.repository_full_name
        and issue_commits.commit_hash = commit_deployments.commit_hash
    cross join config
    where commit_deployments.environment = config.production_environment
    group by issue_commits.issue_id

),

final as (

    select
        issues.issue_id,
        issues.issue_key,
        issues.project_key,
        issues.issue_type,
        issues.status,
        issues.status_category,
        issues.created_at,
        issues.resolved_at,
        coalesce(pull_request_times.pull_requests, 0) as pull_requests,
        commit_times.first_commit_at,
        pull_request_times.first_pull_request_at,
        pull_request_times.merged_at,
        build_times.first_successful_build_at,
        deployment_times.first_production_deployment_at,
        epoch(pull_request_times.first_pull_request_at) - epoch(commit_times.first_commit_at)
            as commit_to_pull_request_seconds,
        epoch(pull_request_times.merged_at) - epoch(pull_request_times.first_pull_request_at)
            as pull_request_to_merge_seconds,
        epoch(build_times.first_successful_build_at) - epoch(commit_times.first_commit_at)
            as commit_to_successful_build_seconds,
        epoch(deployment_times.first_production_deployment_at) - epoch(pull_request_times.merged_at)
            as merge_to_production_seconds,
        epoch(deployment_times.first_production_deployment_at) - epoch(commit_times.first_commit_at)
            as commit_to_production_seconds
    from issues
    left join commit_times
        on issues.issue_id = commit_times.issue_id
    left join pull_request_times
        on issues.issue_id = pull_request_times.issue_id
    left join build_times
        on issues.issue_id = build_times.issue_id
    left join deployment_times
        on issues.issue_id = deployment_times.issue_id
    where not issues.is_deleted

)

select * from final
