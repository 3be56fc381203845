-- one row per finished jenkins build of a deployment job (per environment), dry runs and skipped results left out
-- config: materialized=view
with builds as (

    select * from jenkins_builds

),

build_scm as (

    select * from stg_delivery__build_scm

),

environments as (

    select * from _silver_delivery_environments

),

config as (

    select * from _silver_delivery_config

),

incidents as (

    select * from incidents

),

-- the first configured environment (then pattern) whose job glob matches, case-insensitively
matched as (

    select builds.*, environments.environment
    from builds
    inner join environments
        on lower(builds.job_full_name) glob environments.job_pattern
    qualify row_number() over (
        partition by builds.build_key order by environments.environment_order, environments.pattern_order
    ) = 1

),

classified as (

    select
        matched.build_key,
        matched.job_full_name,
        matched.build_number,
        matched.environment,
        matched.environment = config.production_environment as is_production,
        matched.result,
        matched.started_at,
        matched.started_at + to_microseconds((coalesce(matched.duration_seconds, 0) * 1000000)::bigint)
            as finished_at,
        matched.duration_seconds,
        coalesce(build_scm.revisions[1].commit_hash, matched.revision_hash) as revision_hash,
        regexp_replace(
            lower(coalesce(build_scm.revisions[1].branch, matched.revision_branch)),
            '^(refs/remotes/origin/|origin/|refs/heads/)',
            ''
        ) as revision_branch,
        matched.triggered_by_user_id,
        list_contains(config.failed_results, upper(matched.result)) as is_failed,
        list_contains(config.skipped_results, upper(matched.result)) as is_skipped,
        len(list_filter(
            coalesce(build_scm.parameters, []),
            p -> list_contains(config.dry_run_parameters, upper(p.name)) and lower(p.value) in ('true', 'yes', '1')
        )) > 0 as is_dry_run,
        len(list_filter(config.rollback_jobs, pattern -> lower(matched.job_full_name) glob pattern)) > 0
        or len(list_filter(
            coalesce(build_scm.parameters, []),
            p -> list_contains(config.rollback_parameters, upper(p.name)) and lower(p.value) in ('true', 'yes', '1')
        )) > 0 as is_rollback,
        config.hotfix_branches,
        config.failure_window_seconds
    from matched
    cross join config
    left join build_scm
        on matched.build_key = build_scm.build_key
    where not matched.is_building and matched.result is not null

),

deployed as (

    select
        * exclude (is_skipped, is_dry_run, hotfix_branches),
        len(list_filter(hotfix_branches, pattern -> revision_branch glob pattern)) > 0 as is_hotfix
    from classified
    where not is_skipped and not is_dry_run

),

-- a rollback or hotfix blames the deployment of the same environment that finished last before it started
recoveries as (

    select
        blamed.build_key,
        bool_or(recovery.is_rollback) as by_rollback,
        list_sort(list(recovery.build_key)) as recovery_build_keys
    from deployed as recovery
    asof inner join deployed as blamed
        on recovery.environment = blamed.environment
        and recovery.started_at > blamed.finished_at
    where (recovery.is_rollback or recovery.is_hotfix)
        and epoch(recovery.started_at) - epoch(blamed.finished_at) <= recovery.failure_window_seconds
    group by blamed.build_key

),

-- an incident blames the production deployment that finished last before it was created
incident_blames as (

    select blamed.build_key, list_sort(list(incidents.issue_key)) as incident_keys
    from incidents
    asof inner join (select * from deployed where is_production) as blamed
        on incidents.created_at > blamed.finished_at
    where epoch(incidents.created_at) - epoch(blamed.finished_at) <= blamed.failure_window_seconds
    group by blamed.build_key

),

final as (

    select
        deployed.* exclude (failure_window_seconds),
        not deployed.is_failed as is_successful,
        case
            when deployed.is_failed then 'failed'
            when recoveries.by_rollback then 'rollback'
            when recoveries.build_key is not null then 'hotfix'
            when incident_blames.build_key is not null then 'incident'
        end as change_failure_reason,
        change_failure_reason is not null as is_change_failure,
        coalesce(recoveries.recovery_build_keys, []) as recovery_build_keys,
        coalesce(incident_blames.incident_keys, []) as incident_keys
    from deployed
    left join recoveries
        on deployed.build_key = recoveries.build_key
    left join incident_blames
        on deployed.build_key = incident_blames.build_key

)

select * from final
