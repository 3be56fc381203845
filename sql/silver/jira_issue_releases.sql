-- one row per jira issue and release it belongs to: by fixVersion, else by a release label
-- config: materialized=view
-- An issue with at least one fixVersion belongs to those releases only. An issue without any
-- belongs to the releases its labels name through the configured patterns (jira.silver.
-- release_label_patterns); release_id is null when no version of the project has that name.
with issues as (

    select issue_id, issue_key, project_key, fix_versions, labels
    from int_jira__corrected_issues

),

releases as (

    select release_id, release_name, project_key
    from jira_releases

),

patterns as (

    select * from _silver_jira_release_label_patterns

),

deleted_issues as (

    select issue_id from int_jira__deleted_issues

),

by_fix_version as (

    select
        issues.issue_id,
        issues.issue_key,
        issues.project_key,
        fix_version.release_id,
        fix_version.release_name,
        'fix_version' as membership_source,
        null::varchar as matched_label
    from issues, unnest(issues.fix_versions) as unnested(fix_version)

),

unreleased_labels as (

    select issues.issue_id, issues.issue_key, issues.project_key, unnested.label
    from issues, unnest(issues.labels) as unnested(label)
    where len(issues.fix_versions) = 0

),

label_matches as (

    select
        unreleased_labels.*,
        -- the group number must be a constant in DuckDB: one branch per possible group
        case patterns.version_group
            when 1 then regexp_extract(unreleased_labels.label, patterns.pattern, 1)
            when 2 then regexp_extract(unreleased_labels.label, patterns.pattern, 2)
            when 3 then regexp_extract(unreleased_labels.label, patterns.pattern, 3)
            when 4 then regexp_extract(unreleased_labels.label, patterns.pattern, 4)
            when 5 then regexp_extract(unreleased_labels.label, patterns.pattern, 5)
            when 6 then regexp_extract(unreleased_labels.label, patterns.pattern, 6)
            when 7 then regexp_extract(unreleased_labels.label, patterns.pattern, 7)
            when 8 then regexp_extract(unreleased_labels.label, patterns.pattern, 8)
            when 9 then regexp_extract(unreleased_labels.label, patterns.pattern, 9)
        end as release_name
    from unreleased_labels
    inner join patterns
        on regexp_matches(unreleased_labels.label, patterns.pattern)
    qualify row_number() over (
        partition by unreleased_labels.issue_id, unreleased_labels.label order by patterns.pattern_order
    ) = 1

),

by_label as (

    select
        label_matches.issue_id,
        label_matches.issue_key,
        label_matches.project_key,
        releases.release_id,
        label_matches.release_name,
        'label' as membership_source,
        label_matches.label as matched_label
    from label_matches
    left join releases
        on label_matches.project_key = releases.project_key
        and label_matches.release_name = releases.release_name
    where label_matches.release_name <> ''
    qualify row_number() over (
        partition by label_matches.issue_id, label_matches.release_name order by label_matches.label
    ) = 1

),

memberships as (

    select * from by_fix_version
    union all
    select * from by_label

),

final as (

    select
        memberships.*,
        coalesce(memberships.issue_id in (select issue_id from deleted_issues), false) as is_deleted
    from memberships

)

select * from final
