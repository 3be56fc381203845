-- one row per jenkins build (job, number): its latest ingested state
-- config: materialized=merge unique_key=build_key version=_ingested_at
with builds as (

    select * from bronze_jenkins_builds

),

final as (

    select
        __id ->> '$' as build_key,
        coalesce(__parent ->> 'job', regexp_extract(__id ->> '$', '^(.*)#[0-9]+$', 1)) as job_full_name,
        payload.number as build_number,
        payload.result as result,
        coalesce(payload.building, false) as is_building,
        to_timestamp(payload.timestamp / 1000) as started_at,
        payload.duration / 1000.0 as duration_seconds,
        payload.estimatedDuration / 1000.0 as estimated_duration_seconds,
        payload.fullDisplayName as display_name,
        payload.url as url,
        list_filter(list_transform(payload.actions, a -> a.lastBuiltRevision.SHA1), sha -> sha is not null)[1]
            as revision_hash,
        list_filter(
            list_transform(payload.actions, a -> a.lastBuiltRevision.branch[1].name), branch -> branch is not null
        )[1] as revision_branch,
        -- freestyle builds report changeSet, pipelines changeSets
        list_sort(list_distinct(flatten(
            list_transform(
                coalesce(payload.changeSets, []) || coalesce([payload.changeSet], []),
                change_set -> list_transform(change_set.items, item -> item.commitId)
            )
        ))) as change_set_commit_hashes,
        list_filter(
            flatten(list_transform(payload.actions, a -> list_transform(a.causes, c -> c.shortDescription))),
            cause -> cause is not null
        ) as causes,
        list_filter(
            flatten(list_transform(payload.actions, a -> list_transform(a.causes, c -> c.userId))),
            user_id -> user_id is not null
        )[1] as triggered_by_user_id,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from builds

)

select * from final
