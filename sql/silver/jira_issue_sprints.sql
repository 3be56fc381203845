-- one row per jira issue and sprint it was in (from the sprint custom field of its latest version)
-- config: materialized=view
with issues as (

    select issue_id, issue_key, project_key, sprint_ids
    from stg_jira__issues

),

sprints as (

    select * from jira_sprints

),

deleted_issues as (

    select issue_id from int_jira__deleted_issues

),

memberships as (

    select issues.issue_id, issues.issue_key, issues.project_key, unnested.sprint_id
    from issues, unnest(issues.sprint_ids) as unnested(sprint_id)

),

final as (

    select
        memberships.issue_id,
        memberships.issue_key,
        memberships.project_key,
        memberships.sprint_id,
        sprints.sprint_name,
        sprints.sprint_state,
        sprints.board_id,
        sprints.started_at,
        sprints.ended_at,
        sprints.completed_at,
        coalesce(memberships.issue_id in (select issue_id from deleted_issues), false) as is_deleted
    from memberships
    left join sprints
        on memberships.sprint_id = sprints.sprint_id

)

select * from final
