-- one row per dora fact: a production deployment, a commit reaching production, an incident opened or resolved
-- config: materialized=view
with deployments as (

    select * from deployments where is_production

),

commit_deployments as (

    select * from commit_deployments

),

incidents as (

    select * from incidents

),

config as (

    select * from _silver_delivery_config

),

facts as (

    select
        'deployment' as fact,
        finished_at as happened_at,
        is_successful,
        is_change_failure,
        null::double as seconds
    from deployments
    union all
    select 'change', commit_deployments.deployed_at, null, null, commit_deployments.lead_time_seconds
    from commit_deployments
    cross join config
    where commit_deployments.environment = config.production_environment
    union all
    select 'incident_opened', created_at, null, null, null
    from incidents
    union all
    select 'incident_resolved', resolved_at, null, null, time_to_restore_seconds
    from incidents
    where is_resolved

),

final as (

    select
        fact,
        happened_at,
        timezone('UTC', happened_at)::date as day,
        date_trunc('week', timezone('UTC', happened_at))::date as week_start,
        is_successful,
        is_change_failure,
        seconds
    from facts

)

select * from final
