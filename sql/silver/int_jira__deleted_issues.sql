-- one row per jira issue the census says was deleted: its children (comments, worklogs, histories, links, sprint and release memberships) are flagged is_deleted
-- config: materialized=view
with issues as (

    select issue_id, issue_key, project_key, is_deleted from jira_issues

),

final as (

    select issue_id, issue_key, project_key
    from issues
    where is_deleted

)

select * from final
