-- one row per day (UTC) from the first to the last production deployment or incident: the four DORA metrics
-- config: materialized=view
with facts as (

    select * from int_delivery__dora_facts

),

periods as (

    select unnest(generate_series(min(day), max(day), interval 1 day))::date as day
    from facts

),

metrics as (

    select
        day,
        count(*) filter (where fact = 'deployment') as deployments,
        count(*) filter (where fact = 'deployment' and is_successful) as successful_deployments,
        count(distinct day) filter (where fact = 'deployment' and is_successful) as deployment_days,
        count(*) filter (where fact = 'deployment' and is_change_failure) as change_failures,
        count(*) filter (where fact = 'change') as changes_deployed,
        quantile_cont(seconds, 0.5) filter (where fact = 'change') as lead_time_median_seconds,
        quantile_cont(seconds, 0.9) filter (where fact = 'change') as lead_time_p90_seconds,
        count(*) filter (where fact = 'incident_opened') as incidents_opened,
        count(*) filter (where fact = 'incident_resolved') as incidents_resolved,
        quantile_cont(seconds, 0.5) filter (where fact = 'incident_resolved') as time_to_restore_median_seconds
    from facts
    group by day

),

final as (

    select
        periods.day,
        coalesce(metrics.deployments, 0) as deployments,
        coalesce(metrics.successful_deployments, 0) as successful_deployments,
        coalesce(metrics.deployment_days, 0) as deployment_days,
        coalesce(metrics.change_failures, 0) as change_failures,
        metrics.change_failures / nullif(metrics.deployments, 0) as change_failure_rate,
        coalesce(metrics.changes_deployed, 0) as changes_deployed,
        metrics.lead_time_median_seconds,
        metrics.lead_time_p90_seconds,
        coalesce(metrics.incidents_opened, 0) as incidents_opened,
        coalesce(metrics.incidents_resolved, 0) as incidents_resolved,
        metrics.time_to_restore_median_seconds
    from periods
    left join metrics
        on periods.day = metrics.day

)

select * from final
