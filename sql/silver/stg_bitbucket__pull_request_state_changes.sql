-- one row per state change of a bitbucket pull request (an `update` entry of its activity into a final state)
-- config: materialized=merge unique_key=activity_key version=_ingested_at
with activities as (

    select * from bronze_bitbucket_pr_activities

),

final as (

    select
        __id ->> '$' as activity_key,
        (__parent ->> 'repository') || '#' || (__parent ->> 'pull_request_id') as pull_request_key,
        payload."update".state as state,
        payload."update".date as changed_at,
        payload."update".author.uuid as changed_by_uuid,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from activities
    where payload."update".state in ('MERGED', 'DECLINED', 'SUPERSEDED')

)

select * from final
