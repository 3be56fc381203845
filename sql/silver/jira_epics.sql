-- one row per jira issue whose category is 'epic' (see jira.silver.issue_types)
-- config: materialized=view
with issues as (

    select * from jira_issues

),

final as (

    select * from issues
    where issue_category = 'epic'

)

select * from final
