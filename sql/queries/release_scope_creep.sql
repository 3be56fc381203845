-- name: release_scope_creep
-- description: Issues added to a release (fixVersion) after the release's start date, from the field history
-- param: release varchar = null  -- a release name; null: every release with a start date
-- param: project varchar = null  -- a project key; null: every project
with releases as (

    select * from jira_releases
    where start_date is not null
        and ($release is null or lower(release_name) = lower($release))
        and ($project is null or upper(project_key) = upper($project))

),

added as (

    select periods.issue_id, periods.issue_key, periods.value_id, min(periods.valid_from) as added_at
    from jira_issue_field_periods as periods
    where periods.field = 'fix_version' and periods.set_by_account_id is not null
    group by all

),

final as (

    select
        releases.project_key,
        releases.release_name,
        releases.start_date,
        added.issue_key,
        issues.summary,
        added.added_at,
        list_contains(list_transform(issues.fix_versions, v -> v.release_id), releases.release_id) as still_in_release
    from releases
    inner join added
        on added.value_id = releases.release_id::varchar
    inner join jira_issues as issues
        on added.issue_id = issues.issue_id
    where added.added_at >= releases.start_date and not issues.is_deleted

)

select * from final
order by project_key, release_name, added_at
