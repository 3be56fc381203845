-- one row per jira issue link, from the issue its outward description applies to ("X blocks Y": from X to Y)
-- config: materialized=view
with links as (

    select * from stg_jira__issue_links

),

deleted_issues as (

    select issue_id from int_jira__deleted_issues

),

final as (

    select
        links.*,
        coalesce(
            links.from_issue_id in (select issue_id from deleted_issues)
            or links.to_issue_id in (select issue_id from deleted_issues),
            false
        ) as is_deleted
    from links

)

select * from final
