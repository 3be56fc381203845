-- one row per jira issue and bitbucket commit whose message names it
-- config: materialized=view
with commits as (

    select * from bitbucket_commits

),

issues as (

    select issue_id, issue_key from stg_jira__issues

),

mentions as (

    select distinct
        repository_full_name,
        commit_hash,
        unnest(regexp_extract_all(message, '\b([A-Z][A-Z0-9_]+-[1-9][0-9]*)\b', 1)) as issue_key
    from commits

),

final as (

    select issues.issue_id, mentions.issue_key, mentions.repository_full_name, mentions.commit_hash
    from mentions
    inner join issues
        on mentions.issue_key = issues.issue_key

)

select * from final
