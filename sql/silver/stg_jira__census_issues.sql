-- one row per issue id listed by the latest completed census of its project
-- config: materialized=table files=cursor_runs
with listed as (

    select * from bronze_jira_issue_census

),

sweeps as (

    select * from bronze_jira_cursors
    where stream = 'issue_census'

),

final as (

    select
        listed.payload.id::bigint as issue_id,
        min(sweeps.scope) as project_key
    from listed
    inner join sweeps
        on listed.__run_id = sweeps.run_id
        and coalesce(
            listed.__parent ->> 'project_key', split_part(listed.payload.key, '-', 1)
        ) = sweeps.scope
    group by all

)

select * from final
