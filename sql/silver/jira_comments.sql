-- one row per jira comment: its latest version, flagged when its issue was deleted
-- config: materialized=view
with comments as (

    select * from stg_jira__comments

),

deleted_issues as (

    select issue_id from int_jira__deleted_issues

),

final as (

    select
        comments.*,
        deleted_issues.issue_id is not null as is_deleted
    from comments
    left join deleted_issues
        on comments.issue_id = deleted_issues.issue_id

)

select * from final
