-- one row per local correction (config/corrections.yaml): Jira's and the local value, the strategy and its outcome
-- config: materialized=view
-- jira_changed_at is the field's last change in Jira's changelog. Outcomes: applied; jira_changed
-- (JIRA_WINS, Jira changed the field after jira_updated); jira_newer (NEWEST_WINS, Jira's change is
-- newer than made_at); conflict (MANUAL, Jira changed the field after jira_updated); issue_not_found.
with corrections as (

    select * from _silver_corrections

),

correction_fields as (

    select * from _silver_correction_fields

),

issues as (

    select * from stg_jira__issues

),

changes as (

    select issue_id, field_id, field_name, changed_at from jira_issue_field_changes

),

releases as (

    select release_id, release_name, project_key from jira_releases

),

targets as (

    select corrections.*, issues.issue_id, issues.project_key
    from corrections
    left join issues
        on corrections.issue_key = issues.issue_key

),

last_changes as (

    select targets.correction_id, max(changes.changed_at) as jira_changed_at
    from targets
    inner join changes
        on targets.issue_id = changes.issue_id
    inner join correction_fields
        on targets.field = correction_fields.field
        and correction_fields.changelog_field in (lower(changes.field_id), lower(changes.field_name))
    group by targets.correction_id

),

-- fixVersions named by the correction, resolved to the project's versions (by name or id), in order
version_names as (

    select
        correction_id,
        project_key,
        unnest(from_json(local_value, '["VARCHAR"]')) as release_name,
        generate_subscripts(from_json(local_value, '["VARCHAR"]'), 1) as position
    from targets
    where field = 'fix_versions'

),

local_versions as (

    select
        version_names.correction_id,
        list(
            {'release_id': releases.release_id, 'release_name': coalesce(releases.release_name, version_names.release_name)}
            order by version_names.position
        ) as fix_versions
    from version_names
    left join releases
        on version_names.project_key = releases.project_key
        and (
            lower(version_names.release_name) = lower(releases.release_name)
            or version_names.release_name = releases.release_id::varchar
        )
    group by version_names.correction_id

),

jira_values as (

    select
        targets.correction_id,
        case targets.field
            when 'fix_versions' then to_json(list_transform(issues.fix_versions, v -> v.release_name))
            when 'labels' then to_json(issues.labels)
            when 'components' then to_json(issues.components)
            when 'parent' then to_json(issues.parent_issue_key)
            when 'epic_link' then to_json(issues.epic_link_issue_key)
            when 'team' then to_json(issues.team_name)
        end::varchar as jira_value
    from targets
    inner join issues
        on targets.issue_id = issues.issue_id

),

decided as (

    select
        targets.correction_id,
        targets.issue_id,
        targets.issue_key,
        targets.field,
        jira_values.jira_value,
        targets.local_value,
        coalesce(
            local_versions.fix_versions,
            []::struct(release_id bigint, release_name varchar)[]
        ) as local_fix_versions,
        targets.strategy,
        last_changes.jira_changed_at,
        targets.jira_updated,
        targets.made_at,
        targets.author,
        targets.reason,
        case
            when targets.issue_id is null then 'issue_not_found'
            when targets.strategy = 'LOCAL_WINS' then 'applied'
            when targets.strategy = 'NEWEST_WINS' and last_changes.jira_changed_at > targets.made_at then 'jira_newer'
            when targets.strategy = 'NEWEST_WINS' then 'applied'
            when last_changes.jira_changed_at > targets.jira_updated and targets.strategy = 'MANUAL' then 'conflict'
            when last_changes.jira_changed_at > targets.jira_updated then 'jira_changed'
            else 'applied'
        end as outcome
    from targets
    left join last_changes
        on targets.correction_id = last_changes.correction_id
    left join local_versions
        on targets.correction_id = local_versions.correction_id
    left join jira_values
        on targets.correction_id = jira_values.correction_id

),

final as (

    select *, outcome = 'applied' as is_applied from decided

)

select * from final
