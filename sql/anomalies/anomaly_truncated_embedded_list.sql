-- one row per issue and embedded list (comments, worklogs, changelog) whose total exceeds what bronze holds
-- config: materialized=view
-- Jira embeds at most a page of each list in an issue; the rest must come from the child streams.
with issues as (

    select * from stg_jira__issues

),

comment_counts as (

    select issue_id, count(*) as held from jira_comments group by issue_id

),

worklog_counts as (

    select issue_id, count(*) as held from jira_worklogs group by issue_id

),

history_counts as (

    select issue_id, count(distinct history_id) as held from jira_issue_field_changes group by issue_id

),

totals as (

    select issues.issue_key, 'comments' as list_name, issues.comment_total as total, comment_counts.held
    from issues left join comment_counts using (issue_id)
    union all
    select issues.issue_key, 'worklogs', issues.worklog_total, worklog_counts.held
    from issues left join worklog_counts using (issue_id)
    union all
    select issues.issue_key, 'changelog histories', issues.changelog_total, history_counts.held
    from issues left join history_counts using (issue_id)

),

final as (

    select
        'truncated_embedded_list' as anomaly_type,
        'error' as severity,
        'jira_issue' as entity,
        issue_key as entity_key,
        issue_key || ': Jira reports ' || total || ' ' || list_name || ' but bronze holds '
            || coalesce(held, 0) || ' (a truncated list was never fetched in full)' as detail
    from totals
    where total > coalesce(held, 0)

)

select * from final
