-- name: dora_per_team
-- description: Per team (Jira Team field): production deployments that shipped its issues, their change failures, and the lead time of its commits
-- param: weeks integer = 12  -- deployments in the last N weeks
with shipped as (

    select distinct
        coalesce(issues.team_name, '(no team)') as team,
        deployments.build_key,
        deployments.is_change_failure,
        commit_deployments.commit_hash,
        commit_deployments.lead_time_seconds
    from commit_deployments
    inner join deployments
        on commit_deployments.deployment_build_key = deployments.build_key
    inner join issue_commits
        on commit_deployments.commit_hash = issue_commits.commit_hash
    inner join jira_issues as issues
        on issue_commits.issue_id = issues.issue_id
    where commit_deployments.environment = 'production' and deployments.is_production
        and deployments.finished_at >= now() - to_weeks($weeks)

)

select
    team,
    count(distinct build_key) as deployments,
    count(distinct build_key) filter (where is_change_failure) as change_failures,
    round(100.0 * count(distinct build_key) filter (where is_change_failure) / count(distinct build_key), 1)
        as change_failure_pct,
    count(distinct commit_hash) as commits,
    round(quantile_cont(lead_time_seconds, 0.5) / 3600, 1) as lead_time_hours_p50
from shipped
group by team
order by team
