-- one row per issue release membership (fixVersion or label) naming no version of the project
-- config: materialized=view
with memberships as (

    select * from jira_issue_releases

),

releases as (

    select * from jira_releases

),

final as (

    select
        'unknown_release' as anomaly_type,
        'warning' as severity,
        'jira_issue' as entity,
        memberships.issue_key as entity_key,
        memberships.issue_key || ' names release ' || coalesce(memberships.release_name, '?')
            || case
                when memberships.membership_source = 'fix_version'
                    then ' (fixVersion ' || coalesce(memberships.release_id::varchar, '?') || ')'
                else ' (label ' || memberships.matched_label || ')'
            end
            || ', not found among the versions of project ' || coalesce(memberships.project_key, '?') as detail
    from memberships
    where not exists (
        select 1 from releases
        where releases.release_id = memberships.release_id
            and releases.project_key is not distinct from memberships.project_key
    )

)

select * from final
