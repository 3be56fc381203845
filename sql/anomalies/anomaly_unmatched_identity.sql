-- one row per bitbucket or jenkins account that belongs to no person (identity.yaml, same e-mail or atlassian id)
-- config: materialized=view
with identity as (

    select * from identity

),

final as (

    select
        'unmatched_identity' as anomaly_type,
        'info' as severity,
        system || '_account' as entity,
        account_id as entity_key,
        system || ' account ' || account_id || coalesce(' (' || display_name || ')', '')
            || ' matches no Jira account: list it under `people` in config/identity.yaml' as detail
    from identity
    where system in ('bitbucket', 'jenkins') and person_key is null

)

select * from final
