-- one row per comment whose issue is not in the warehouse
-- config: materialized=view
with comments as (

    select * from jira_comments

),

issues as (

    select issue_id from stg_jira__issues

),

final as (

    select
        'orphan_comment' as anomaly_type,
        'warning' as severity,
        'jira_comment' as entity,
        comments.comment_id::varchar as entity_key,
        'comment ' || comments.comment_id || ' belongs to issue '
            || coalesce(comments.issue_key, comments.issue_id::varchar, '?') || ', which is not in the warehouse'
            as detail
    from comments
    where not exists (select 1 from issues where issues.issue_id = comments.issue_id)

)

select * from final
