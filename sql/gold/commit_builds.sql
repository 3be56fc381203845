-- one row per commit and jenkins build that built it (its revision) or listed it in its change sets
-- config: materialized=view
with builds as (

    select * from jenkins_builds

),

built as (

    select build_key, job_full_name, build_number, result, revision_hash as commit_hash, 'revision' as found_in
    from builds
    where revision_hash is not null
    union all
    select build_key, job_full_name, build_number, result, unnest(change_set_commit_hashes), 'change_set'
    from builds

),

final as (

    select
        commit_hash,
        build_key,
        job_full_name,
        build_number,
        result,
        list_sort(list_distinct(list(found_in))) as found_in
    from built
    group by all

)

select * from final
