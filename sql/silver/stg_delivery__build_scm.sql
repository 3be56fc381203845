-- one row per jenkins build (job, number): its git revisions with their remote urls, parameters and starting users
-- config: materialized=merge unique_key=build_key version=_ingested_at
with builds as (

    select * from bronze_jenkins_builds

),

final as (

    select
        __id ->> '$' as build_key,
        -- one git BuildData action per checked-out repository: a revision and that repository's urls
        list_filter(
            list_transform(
                payload.actions,
                a -> {
                    'commit_hash': lower(a.lastBuiltRevision.SHA1),
                    'branch': a.lastBuiltRevision.branch[1].name,
                    'remote_urls': coalesce(a.remoteUrls, [])
                }
            ),
            r -> r.commit_hash is not null
        ) as revisions,
        list_distinct(flatten(list_transform(payload.actions, a -> coalesce(a.remoteUrls, [])))) as remote_urls,
        list_transform(
            flatten(list_transform(payload.actions, a -> coalesce(a.parameters, []))),
            p -> {'name': p.name, 'value': trim(p.value::varchar, '"')}
        ) as parameters,
        list_filter(
            flatten(
                list_transform(
                    payload.actions, a -> list_transform(a.causes, c -> {'user_id': c.userId, 'user_name': c.userName})
                )
            ),
            u -> u.user_id is not null
        ) as cause_users,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from builds

)

select * from final
