-- one row per jira issue, tracked field (status, assignee, reporter, priority, resolution, fix_version) and period during which it held a value
-- config: materialized=view
-- Built from the changelog: a change from A to B ends A's period and starts B's. A value changed away
-- before any change set it held since creation; a field never changed holds today's value since
-- creation. fix_version is a set: each version has its own periods. value_id is Jira's id (account id,
-- status id, version id), value_name its name; both null for an empty single-valued field.
-- valid_from / valid_to: the period (valid_to null: still held); set_by_account_id: who set it (null for
-- the value held since creation).
with issues as (

    select * from stg_jira__issues

),

users as (

    select account_id, display_name from jira_users

),

tracked as (

    select * from (
        values
            ('status', 'status', false),
            ('assignee', 'assignee', false),
            ('reporter', 'reporter', false),
            ('priority', 'priority', false),
            ('resolution', 'resolution', false),
            ('fixversions', 'fix_version', true),
            ('fix version', 'fix_version', true)
    ) as t (changelog_field, field, is_multi)

),

changes as (

    select
        changes.issue_id,
        tracked.field,
        tracked.is_multi,
        changes.changed_at,
        changes.history_id,
        changes.item_index,
        changes.author_account_id,
        changes.from_value,
        changes.from_string,
        changes.to_value,
        changes.to_string
    from jira_issue_field_changes as changes
    inner join tracked
        on lower(coalesce(changes.field_id, changes.field_name)) = tracked.changelog_field
    -- an item that sets what was already there changes nothing
    where changes.from_value is distinct from changes.to_value or changes.from_string is distinct from changes.to_string

),

events as (

    select
        issue_id, field, changed_at, history_id, item_index, author_account_id,
        0 as step, 'remove' as kind, from_value as value_id, from_string as value_name
    from changes
    where not is_multi or from_value is not null or from_string is not null
    union all
    select
        issue_id, field, changed_at, history_id, item_index, author_account_id,
        1 as step, 'add' as kind, to_value as value_id, to_string as value_name
    from changes
    where not is_multi or to_value is not null or to_string is not null

),

sequenced as (

    select
        *,
        coalesce(value_id, value_name) as value_key,
        lag(kind) over value_events as previous_kind,
        lead(changed_at) over value_events as next_changed_at
    from events
    window value_events as (
        partition by issue_id, field, coalesce(value_id, value_name)
        order by changed_at, history_id, item_index, step
    )

),

changed_periods as (

    -- a value set by a change holds until its next change
    select
        issue_id, field, value_id, value_name,
        changed_at as valid_from, next_changed_at as valid_to, author_account_id as set_by_account_id
    from sequenced
    where kind = 'add'
    union all
    -- a value first seen leaving held since the issue was created
    select
        sequenced.issue_id, sequenced.field, sequenced.value_id, sequenced.value_name,
        issues.created_at as valid_from, sequenced.changed_at as valid_to, null as set_by_account_id
    from sequenced
    inner join issues
        on sequenced.issue_id = issues.issue_id
    where sequenced.kind = 'remove' and sequenced.previous_kind is null

),

current_values as (

    select issue_id, 'status' as field, status_id::varchar as value_id, status as value_name from issues
    union all
    select issue_id, 'assignee', assignee_account_id, (select display_name from users where account_id = assignee_account_id)
    from issues
    union all
    select issue_id, 'reporter', reporter_account_id, (select display_name from users where account_id = reporter_account_id)
    from issues
    union all
    select issue_id, 'priority', null, priority from issues
    union all
    select issue_id, 'resolution', null, resolution from issues
    union all
    select issues.issue_id, 'fix_version', version.release_id::varchar, version.release_name
    from issues, unnest(issues.fix_versions) as unnested(version)

),

deleted_issues as (

    select issue_id from int_jira__deleted_issues

),

-- today's values with no change at all (single-valued: of the field; fix_version: of that version)
unchanged_periods as (

    select
        current_values.issue_id, current_values.field, current_values.value_id, current_values.value_name,
        issues.created_at as valid_from, null::timestamptz as valid_to, null as set_by_account_id
    from current_values
    inner join issues
        on current_values.issue_id = issues.issue_id
    where not exists (
        select 1 from events
        where events.issue_id = current_values.issue_id
            and events.field = current_values.field
            and (
                current_values.field <> 'fix_version'
                or coalesce(events.value_id, events.value_name)
                = coalesce(current_values.value_id, current_values.value_name)
            )
    )

),

final as (

    select
        periods.issue_id, issues.issue_key, periods.field, periods.value_id, periods.value_name,
        periods.valid_from, periods.valid_to, periods.set_by_account_id,
        coalesce(periods.issue_id in (select issue_id from deleted_issues), false) as is_deleted
    from (
        select * from changed_periods
        union all
        select * from unchanged_periods
    ) as periods
    inner join issues
        on periods.issue_id = issues.issue_id

)

select * from final
