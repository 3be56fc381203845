-- one row per jira issue (latest version) with the applied local corrections (config/corrections.yaml)
-- config: materialized=view
with issues as (

    select * from stg_jira__issues

),

applied as (

    select * from int_jira__correction_outcomes
    where is_applied

),

-- the issue a parent correction names (its id, type and level decide the epic in jira_issues)
with_parents as (

    select
        applied.*,
        parents.issue_id as parent_issue_id,
        parents.hierarchy_level as parent_hierarchy_level,
        parents.issue_type as parent_issue_type
    from applied
    left join issues as parents
        on applied.field = 'parent' and json_extract_string(applied.local_value, '$') = parents.issue_key

),

by_issue as (

    select
        issue_id,
        bool_or(field = 'fix_versions') as corrects_fix_versions,
        any_value(local_fix_versions) filter (where field = 'fix_versions') as fix_versions,
        bool_or(field = 'labels') as corrects_labels,
        any_value(from_json(local_value, '["VARCHAR"]')) filter (where field = 'labels') as labels,
        bool_or(field = 'components') as corrects_components,
        any_value(from_json(local_value, '["VARCHAR"]')) filter (where field = 'components') as components,
        bool_or(field = 'parent') as corrects_parent,
        any_value(local_value ->> '$') filter (where field = 'parent') as parent_issue_key,
        any_value(parent_issue_id) filter (where field = 'parent') as parent_issue_id,
        any_value(parent_hierarchy_level) filter (where field = 'parent') as parent_hierarchy_level,
        any_value(parent_issue_type) filter (where field = 'parent') as parent_issue_type,
        bool_or(field = 'epic_link') as corrects_epic_link,
        any_value(local_value ->> '$') filter (where field = 'epic_link') as epic_link_issue_key,
        bool_or(field = 'team') as corrects_team,
        any_value(local_value ->> '$') filter (where field = 'team') as team_name
    from with_parents
    group by issue_id

),

final as (

    select
        issues.* replace (
            case when by_issue.corrects_fix_versions then by_issue.fix_versions else issues.fix_versions end
                as fix_versions,
            case when by_issue.corrects_labels then by_issue.labels else issues.labels end as labels,
            case when by_issue.corrects_components then by_issue.components else issues.components end
                as components,
            case when by_issue.corrects_parent then by_issue.parent_issue_id else issues.parent_issue_id end
                as parent_issue_id,
            case when by_issue.corrects_parent then by_issue.parent_issue_key else issues.parent_issue_key end
                as parent_issue_key,
            case
                when by_issue.corrects_parent then by_issue.parent_hierarchy_level else issues.parent_hierarchy_level
            end as parent_hierarchy_level,
            case when by_issue.corrects_parent then by_issue.parent_issue_type else issues.parent_issue_type end
                as parent_issue_type,
            case when by_issue.corrects_epic_link then by_issue.epic_link_issue_key else issues.epic_link_issue_key end
                as epic_link_issue_key,
            case when by_issue.corrects_team then by_issue.team_name else issues.team_name end as team_name
        ),
        coalesce(
            by_issue.corrects_fix_versions or by_issue.corrects_labels or by_issue.corrects_components
            or by_issue.corrects_parent or by_issue.corrects_epic_link or by_issue.corrects_team,
            false
        ) as is_corrected
    from issues
    left join by_issue
        on issues.issue_id = by_issue.issue_id

)

select * from final
