-- one row per jira project with a completed issue census: the latest sweep (from cursors.parquet)
-- config: materialized=table
with cursors as (

    select * from bronze_jira_cursors

),

final as (

    select
        scope as project_key,
        run_id as census_run_id,
        cursor_value::timestamptz as census_started_at
    from cursors
    where stream = 'issue_census'

)

select * from final
