-- one row per issue record in this build's bronze batch (every version, duplicates included)
-- config: materialized=batch
with source as (

    -- jira_custom_fields(): the custom fields of jira.silver.custom_fields (pipelines/silver/jira.py)
    select *, jira_custom_fields(payload.fields) as custom_fields
    from bronze_jira_issues

),

final as (

    select
        payload.id::bigint as issue_id,
        payload.key as issue_key,
        payload.fields.project.id::bigint as project_id,
        payload.fields.project.key as project_key,
        payload.fields.issuetype.id::bigint as issue_type_id,
        payload.fields.issuetype.name as issue_type,
        payload.fields.issuetype.hierarchyLevel as hierarchy_level,
        coalesce(payload.fields.issuetype.subtask or payload.fields.issuetype.hierarchyLevel < 0, false)
            as is_subtask,
        payload.fields.summary as summary,
        payload.fields.status.id::bigint as status_id,
        payload.fields.status.name as status,
        payload.fields.status.statusCategory.key as status_category,
        payload.fields.priority.name as priority,
        payload.fields.resolution.name as resolution,
        payload.fields.assignee.accountId as assignee_account_id,
        payload.fields.reporter.accountId as reporter_account_id,
        payload.fields.creator.accountId as creator_account_id,
        payload.fields.parent.id::bigint as parent_issue_id,
        payload.fields.parent.key as parent_issue_key,
        payload.fields.parent.fields.issuetype.hierarchyLevel as parent_hierarchy_level,
        payload.fields.parent.fields.issuetype.name as parent_issue_type,
        -- the Epic Link field holds a key; some sites return an object with a key
        case
            when starts_with(custom_fields.epic_link::varchar, '{')
                then custom_fields.epic_link ->> 'key'
            else trim(custom_fields.epic_link::varchar, '"')
        end as epic_link_issue_key,
        coalesce(payload.fields.labels, []) as labels,
        coalesce(list_transform(payload.fields.components, c -> c.name), []) as components,
        coalesce(
            list_transform(
                payload.fields.fixVersions, v -> {'release_id': v.id::bigint, 'release_name': v.name}
            ),
            []
        ) as fix_versions,
        coalesce(
            list_transform(
                payload.fields.versions, v -> {'release_id': v.id::bigint, 'release_name': v.name}
            ),
            []
        ) as affected_versions,
        -- Cloud returns sprint objects; Server returns strings like "...Sprint@1f[id=5,rapidViewId=2,...]"
        coalesce(
            case left(custom_fields.sprint::varchar, 2)
                when '[{' then (custom_fields.sprint ->> '$[*].id')::bigint[]
                when '["' then list_transform(
                    regexp_extract_all(custom_fields.sprint::varchar, '[\[,]id=(\d+)', 1), s -> s::bigint
                )
            end,
            []
        ) as sprint_ids,
        -- a JSON number, or a number in a string on some sites
        try_cast(trim(custom_fields.story_points::varchar, '"') as double) as story_points,
        -- the Team field is an object (Cloud's Atlassian teams) or a plain string on some sites
        case json_type(custom_fields.team_name)
            when 'OBJECT' then coalesce(custom_fields.team_name ->> 'name', custom_fields.team_name ->> 'title')
            when 'VARCHAR' then custom_fields.team_name ->> '$'
        end as team_name,
        -- text of a description / environment: the string (API v2) or the text nodes of the ADF document (v3)
        case json_type(payload.fields.description)
            when 'VARCHAR' then payload.fields.description ->> '$'
            when 'OBJECT' then array_to_string(
                regexp_extract_all(payload.fields.description::varchar, '"text":"((?:[^"\\]|\\.)*)"', 1), ' '
            )
        end as description_text,
        case json_type(payload.fields.environment)
            when 'VARCHAR' then payload.fields.environment ->> '$'
            when 'OBJECT' then array_to_string(
                regexp_extract_all(payload.fields.environment::varchar, '"text":"((?:[^"\\]|\\.)*)"', 1), ' '
            )
        end as environment_text,
        payload.fields.timeoriginalestimate as original_estimate_seconds,
        payload.fields.timeestimate as remaining_estimate_seconds,
        payload.fields.timespent as time_spent_seconds,
        payload.fields.created as created_at,
        payload.fields.updated as updated_at,
        payload.fields.resolutiondate as resolved_at,
        payload.fields.statuscategorychangedate as status_changed_at,
        payload.fields.duedate as due_date,
        payload.fields.comment.total as comment_total,
        payload.fields.comment.comments as comments,
        payload.fields.worklog.total as worklog_total,
        payload.fields.worklog.worklogs as worklogs,
        payload.changelog.total as changelog_total,
        payload.changelog.histories as histories,
        -- every other custom field configured, one typed column each
        custom_fields.* exclude (story_points, sprint, epic_link, team_name),
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from source

)

select * from final
