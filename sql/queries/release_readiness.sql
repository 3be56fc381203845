-- name: release_readiness
-- description: Per release: issues in it, done and not done, blocked issues and open bugs (fixVersion or release label)
-- param: release varchar = null  -- a release name (e.g. 1.4); null: every unreleased release
-- param: project varchar = null  -- a project key; null: every project
with releases as (

    select * from jira_releases
    where ($release is null and not is_released or lower(release_name) = lower($release))
        and ($project is null or upper(project_key) = upper($project))

),

members as (

    select distinct memberships.release_id, issues.*
    from jira_issue_releases as memberships
    inner join jira_issues as issues
        on memberships.issue_id = issues.issue_id
    where not issues.is_deleted

),

-- "X blocks Y": Y is blocked while X is not done
blocked as (

    select distinct links.to_issue_id as issue_id
    from jira_issue_links as links
    inner join jira_issues as blockers
        on links.from_issue_id = blockers.issue_id
    where links.link_type = 'Blocks' and blockers.status_category <> 'done' and not blockers.is_deleted

),

final as (

    select
        releases.project_key,
        releases.release_name,
        releases.release_date,
        releases.is_released,
        count(members.issue_id) as issues,
        count(members.issue_id) filter (where members.status_category = 'done') as done,
        count(members.issue_id) filter (where members.status_category <> 'done') as not_done,
        count(members.issue_id) filter (where members.status_category <> 'done' and blocked.issue_id is not null)
            as blocked,
        count(members.issue_id) filter (where members.status_category <> 'done' and members.issue_category = 'bug')
            as open_bugs,
        round(100.0 * count(members.issue_id) filter (where members.status_category = 'done')
            / nullif(count(members.issue_id), 0), 1) as done_pct
    from releases
    left join members
        on releases.release_id = members.release_id
    left join blocked
        on members.issue_id = blocked.issue_id
    group by all

)

select * from final
order by project_key, release_date, release_name
