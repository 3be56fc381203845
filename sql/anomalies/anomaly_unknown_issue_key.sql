-- one row per pull request or commit and jira key of a known project that matches no issue
-- config: materialized=view
with mentions as (

    select * from int_delivery__issue_key_mentions where issue_id is null

),

final as (

    select
        'unknown_issue_key' as anomaly_type,
        'warning' as severity,
        case entity when 'pull_request' then 'bitbucket_pull_request' else 'bitbucket_commit' end as entity,
        entity_key,
        mentioned_as || ' in the ' || string_agg(distinct found_in, ', ' order by found_in) || ' of '
            || replace(entity, '_', ' ') || ' ' || entity_key || ' matches no Jira issue' as detail
    from mentions
    group by entity, entity_key, mentioned_as

)

select * from final
