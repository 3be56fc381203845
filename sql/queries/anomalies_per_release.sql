-- name: anomalies_per_release
-- description: Integrity anomalies about Jira issues, per release of the issue and anomaly type
-- param: project varchar = null  -- a project key; null: every project
select
    coalesce(memberships.release_name, '(no release)') as release_name,
    anomalies.anomaly_type,
    anomalies.severity,
    count(*) as findings,
    string_agg(distinct anomalies.entity_key, ', ' order by anomalies.entity_key) as issues
from anomalies
inner join jira_issues as issues
    on anomalies.entity = 'jira_issue' and anomalies.entity_key = issues.issue_key
left join jira_issue_releases as memberships
    on issues.issue_id = memberships.issue_id
where $project is null or upper(issues.project_key) = upper($project)
group by all
order by release_name, findings desc, anomaly_type
