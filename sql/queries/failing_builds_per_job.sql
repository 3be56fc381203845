-- name: failing_builds_per_job
-- description: Finished Jenkins builds per job in the last N days: failed (FAILURE, UNSTABLE), their share, the last failure
-- param: days integer = 30  -- builds started in the last N days
select
    job_full_name,
    count(*) as builds,
    count(*) filter (where result in ('FAILURE', 'UNSTABLE')) as failed,
    round(100.0 * count(*) filter (where result in ('FAILURE', 'UNSTABLE')) / count(*), 1) as failed_pct,
    max(started_at) filter (where result in ('FAILURE', 'UNSTABLE')) as last_failure_at
from jenkins_builds
where not is_building and started_at >= now() - to_days($days)
group by job_full_name
having count(*) filter (where result in ('FAILURE', 'UNSTABLE')) > 0
order by failed desc, job_full_name
