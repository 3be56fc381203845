-- one row per issue and release where the issue is in the release but its epic is not
-- config: materialized=view
with issues as (

    select * from jira_issues

),

memberships as (

    select * from jira_issue_releases

),

epics as (

    select issue_id as epic_issue_id, issue_key as epic_issue_key
    from issues
    where issue_category = 'epic'

),

issue_releases as (

    select
        memberships.issue_key,
        memberships.project_key,
        memberships.release_name,
        issues.epic_issue_key
    from memberships
    inner join issues
        on memberships.issue_id = issues.issue_id
    where issues.issue_category <> 'epic'
        and not issues.is_deleted

),

final as (

    select
        'release_epic_mismatch' as anomaly_type,
        'warning' as severity,
        'jira_issue' as entity,
        issue_releases.issue_key as entity_key,
        issue_releases.issue_key || ' is in release ' || issue_releases.release_name
            || ' but its epic ' || issue_releases.epic_issue_key || ' is not' as detail
    from issue_releases
    inner join epics
        on issue_releases.epic_issue_key = epics.epic_issue_key
    where not exists (
        select 1 from memberships as epic_membership
        where epic_membership.issue_id = epics.epic_issue_id
            and epic_membership.release_name = issue_releases.release_name
    )

)

select * from final
