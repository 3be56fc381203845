-- one row per issue record in this build's bronze batch (every version, duplicates included)
-- config: materialized=batch
-- The payload is parsed once: every path below is extracted in a single json_extract_string call;
-- the custom-field paths (mapped by name from the fields stream) are appended by the runner.
with source as (

    select * from bronze_jira_issues

),

extracted as (

    select
        __run_id as _run_id,
        __ingested_at_utc::timestamp as _ingested_at,
        json_extract_string(payload, [
            '$.id',
            '$.key',
            '$.fields.project.id',
            '$.fields.project.key',
            '$.fields.issuetype.id',
            '$.fields.issuetype.name',
            '$.fields.issuetype.hierarchyLevel',
            '$.fields.issuetype.subtask',
            '$.fields.summary',
            '$.fields.status.id',
            '$.fields.status.name',
            '$.fields.status.statusCategory.key',
            '$.fields.priority.name',
            '$.fields.resolution.name',
            '$.fields.assignee.accountId',
            '$.fields.reporter.accountId',
            '$.fields.creator.accountId',
            '$.fields.parent.id',
            '$.fields.parent.key',
            '$.fields.parent.fields.issuetype.hierarchyLevel',
            '$.fields.parent.fields.issuetype.name',
            '$.fields.labels',
            '$.fields.components',
            '$.fields.fixVersions',
            '$.fields.created',
            '$.fields.updated',
            '$.fields.resolutiondate',
            '$.fields.statuscategorychangedate',
            '$.fields.duedate',
            '$.fields.timeoriginalestimate',
            '$.fields.timeestimate',
            '$.fields.timespent',
            '$.fields.comment.total',
            '$.fields.comment.comments',
            '$.fields.worklog.total',
            '$.fields.worklog.worklogs',
            '$.changelog.total',
            '$.changelog.histories'
        ] || jira_custom_field_paths()) as j
    from source

),

final as (

    select
        j[1]::bigint as issue_id,
        j[2] as issue_key,
        j[3]::bigint as project_id,
        j[4] as project_key,
        j[5]::bigint as issue_type_id,
        j[6] as issue_type,
        j[7]::integer as hierarchy_level,
        coalesce(j[8]::boolean or j[7]::integer < 0, false) as is_subtask,
        j[9] as summary,
        j[10]::bigint as status_id,
        j[11] as status,
        j[12] as status_category,
        j[13] as priority,
        j[14] as resolution,
        j[15] as assignee_account_id,
        j[16] as reporter_account_id,
        j[17] as creator_account_id,
        j[18]::bigint as parent_issue_id,
        j[19] as parent_issue_key,
        j[20]::integer as parent_hierarchy_level,
        j[21] as parent_issue_type,
        case
            when jira_cf_epic_link(j) like '{%' then jira_cf_epic_link(j)::json ->> 'key'
            else jira_cf_epic_link(j)
        end as epic_link_issue_key,
        coalesce(from_json(j[22], '["VARCHAR"]'), []) as labels,
        coalesce(list_transform(from_json(j[23], '[{"name": "VARCHAR"}]'), c -> c.name), []) as components,
        coalesce(
            list_transform(
                from_json(j[24], '[{"id": "BIGINT", "name": "VARCHAR"}]'),
                v -> {'release_id': v.id, 'release_name': v.name}
            ),
            []
        ) as fix_versions,
        -- Cloud returns sprint objects; Server returns strings like "...Sprint@1f[id=5,rapidViewId=2,...]"
        coalesce(
            case
                when jira_cf_sprint(j) like '[{%'
                    then list_transform(from_json(jira_cf_sprint(j), '[{"id": "BIGINT"}]'), s -> s.id)
                else list_transform(regexp_extract_all(jira_cf_sprint(j), '[\[,]id=(\d+)', 1), s -> s::bigint)
            end,
            []
        ) as sprint_ids,
        try_cast(jira_cf_story_points(j) as double) as story_points,
        j[30]::bigint as original_estimate_seconds,
        j[31]::bigint as remaining_estimate_seconds,
        j[32]::bigint as time_spent_seconds,
        j[25]::timestamptz at time zone 'UTC' as created_at,
        j[26]::timestamptz at time zone 'UTC' as updated_at,
        j[27]::timestamptz at time zone 'UTC' as resolved_at,
        j[28]::timestamptz at time zone 'UTC' as status_changed_at,
        j[29]::date as due_date,
        j[33]::integer as comment_total,
        j[34] as comments_json,
        j[35]::integer as worklog_total,
        j[36] as worklogs_json,
        j[37]::integer as changelog_total,
        j[38] as histories_json,
        _run_id,
        _ingested_at
    from extracted

)

select * from final
