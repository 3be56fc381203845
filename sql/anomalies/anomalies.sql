-- one row per integrity finding, from every anomaly_* check
-- config: materialized=view
with final as (

    select * from anomaly_issue_without_epic
    union all by name
    select * from anomaly_parent_not_found
    union all by name
    select * from anomaly_epic_not_found
    union all by name
    select * from anomaly_release_epic_mismatch
    union all by name
    select * from anomaly_done_without_release
    union all by name
    select * from anomaly_release_from_label
    union all by name
    select * from anomaly_unknown_release
    union all by name
    select * from anomaly_orphan_comment
    union all by name
    select * from anomaly_orphan_worklog
    union all by name
    select * from anomaly_truncated_embedded_list
    union all by name
    select * from anomaly_pull_request_without_issue_key
    union all by name
    select * from anomaly_merged_pull_request_issue_not_done
    union all by name
    select * from anomaly_deployment_without_issue
    union all by name
    select * from anomaly_unknown_issue_key
    union all by name
    select * from anomaly_unmatched_identity
    union all by name
    select * from anomaly_correction_conflict

)

select anomaly_type, severity, entity, entity_key, detail from final
