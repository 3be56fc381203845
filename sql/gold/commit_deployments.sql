-- one row per bitbucket commit and environment it reached: the first successful deployment that shipped it
-- config: materialized=view
with commit_builds as (

    select * from commit_builds

),

deployments as (

    select * from deployments

),

commits as (

    select repository_full_name, commit_hash, committed_at from bitbucket_commits

),

-- the first deployment (any result) whose revision or change set names the commit
first_named as (

    select
        commit_builds.repository_full_name,
        commit_builds.commit_hash,
        deployments.environment,
        arg_min(deployments.job_full_name, deployments.finished_at) as job_full_name,
        min(deployments.finished_at) as first_attempt_at
    from commit_builds
    inner join deployments
        on commit_builds.build_key = deployments.build_key
    where not deployments.is_rollback
    group by all

),

-- from then on every successful deployment of that job ships it (change sets only list what is new)
shipped as (

    select
        first_named.repository_full_name,
        first_named.commit_hash,
        first_named.environment,
        first_named.job_full_name,
        first_named.first_attempt_at,
        arg_min(deployments.build_key, deployments.finished_at) as deployment_build_key,
        min(deployments.finished_at) as deployed_at
    from first_named
    inner join deployments
        on first_named.job_full_name = deployments.job_full_name
        and first_named.environment = deployments.environment
        and deployments.finished_at >= first_named.first_attempt_at
    where deployments.is_successful and not deployments.is_rollback
    group by all

),

final as (

    select
        shipped.repository_full_name,
        shipped.commit_hash,
        shipped.environment,
        commits.committed_at,
        shipped.first_attempt_at,
        shipped.deployment_build_key,
        shipped.deployed_at,
        epoch(shipped.deployed_at) - epoch(commits.committed_at) as lead_time_seconds
    from shipped
    inner join commits
        on shipped.repository_full_name = commits.repository_full_name
        and shipped.commit_hash = commits.commit_hash

)

select * from final
