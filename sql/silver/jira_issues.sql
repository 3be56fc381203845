-- one row per jira issue (latest version) with its epic, category and census deletion flag
-- config: materialized=view
with issues as (

    select * from int_jira__corrected_issues

),

categories as (

    select * from _silver_jira_issue_type_categories

),

census_sweeps as (

    select * from stg_jira__census_sweeps

),

census_issues as (

    select * from stg_jira__census_issues

),

-- the epic an issue names itself: fields.parent when the parent is an epic, else the Epic Link field
own_epic as (

    select
        *,
        case
            when hierarchy_level = 1 then null
            when parent_hierarchy_level = 1 then parent_issue_key
            when parent_hierarchy_level is null and lower(parent_issue_type) = 'epic' then parent_issue_key
            else epic_link_issue_key
        end as own_epic_issue_key
    from issues

),

-- sub-tasks roll up to their parent's epic
rolled_up as (

    select
        child.*,
        case
            when child.is_subtask then coalesce(parent.own_epic_issue_key, child.own_epic_issue_key)
            else child.own_epic_issue_key
        end as epic_issue_key
    from own_epic as child
    left join own_epic as parent
        on child.is_subtask and parent.issue_id = child.parent_issue_id

),

final as (

    select
        rolled_up.* exclude (own_epic_issue_key),
        case
            when hierarchy_level = 1 then 'epic'
            when is_subtask then 'subtask'
            else coalesce(categories.issue_category, 'other')
        end as issue_category,
        coalesce(
            census_sweeps.census_started_at is not null
            and rolled_up._ingested_at < census_sweeps.census_started_at
            and census_issues.issue_id is null,
            false
        ) as is_deleted
    from rolled_up
    left join categories
        on lower(rolled_up.issue_type) = categories.issue_type_name
    left join census_sweeps
        on rolled_up.project_key = census_sweeps.project_key
    left join census_issues
        on rolled_up.issue_id = census_issues.issue_id

)

select * from final
