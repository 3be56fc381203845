-- one row per field change of a jira issue, with the interval during which the new value held
-- config: materialized=view
with changes as (

    select * from jira_issue_field_changes

),

deleted_issues as (

    select issue_id from int_jira__deleted_issues

),

final as (

    select
        issue_id,
        issue_key,
        field_id,
        field_name,
        field_type,
        from_value,
        from_string,
        to_value,
        to_string,
        changed_at,
        author_account_id,
        history_id,
        item_index,
        changed_at as valid_from,
        lead(changed_at) over (
            partition by issue_id, field_id order by changed_at, history_id, item_index
        ) as valid_to,
        valid_to is null as is_current,
        coalesce(issue_id in (select issue_id from deleted_issues), false) as is_deleted
    from changes

)

select * from final
