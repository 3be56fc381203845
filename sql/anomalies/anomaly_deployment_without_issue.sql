-- one row per production deployment (not a rollback) none of whose built or listed commits links to a jira issue
-- config: materialized=view
with deployments as (

    select * from deployments where is_production and not is_rollback

),

commit_builds as (

    select * from commit_builds

),

issue_commits as (

    select * from issue_commits

),

linked as (

    select distinct commit_builds.build_key
    from commit_builds
    inner join issue_commits
        on commit_builds.repository_full_name = issue_commits.repository_full_name
        and commit_builds.commit_hash = issue_commits.commit_hash

),

final as (

    select
        'deployment_without_issue' as anomaly_type,
        'warning' as severity,
        'jenkins_build' as entity,
        deployments.build_key as entity_key,
        'production deployment ' || deployments.build_key || ' (' || coalesce(deployments.result, '?')
            || ') ships no commit linked to a Jira issue' as detail
    from deployments
    where deployments.build_key not in (select build_key from linked)

)

select * from final
