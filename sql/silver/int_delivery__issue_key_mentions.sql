-- one row per jira key found in a pull request title, description or source branch, or in a commit message
-- config: materialized=view
with pull_requests as (

    select * from bitbucket_pull_requests

),

commits as (

    select * from bitbucket_commits

),

project_keys as (

    select * from int_delivery__project_keys

),

issues as (

    select issue_id, issue_key from stg_jira__issues

),

texts as (

    select
        'pull_request' as entity,
        pull_request_key as entity_key,
        repository_full_name,
        pull_request_key,
        null::varchar as commit_hash,
        unnest([
            {'found_in': 'title', 'text': title},
            {'found_in': 'description', 'text': description},
            {'found_in': 'branch', 'text': source_branch}
        ], recursive := true)
    from pull_requests
    union all by name
    select
        'commit' as entity,
        repository_full_name || '#' || commit_hash as entity_key,
        repository_full_name,
        null::varchar as pull_request_key,
        commit_hash,
        'message' as found_in,
        message as text
    from commits

),

-- any word-bounded `<letters/digits/_>-<digits>`, in any case; only known project keys are kept below
candidates as (

    select
        * exclude (text),
        unnest(regexp_extract_all(text, '\b[A-Za-z][A-Za-z0-9_]*-[0-9]+\b')) as mentioned_as
    from texts
    where text is not null

),

parsed as (

    select
        * exclude (mentioned_as),
        mentioned_as,
        upper(split_part(mentioned_as, '-', 1)) as key_prefix,
        ltrim(split_part(mentioned_as, '-', 2), '0') as issue_number
    from candidates

),

final as (

    select distinct
        parsed.entity,
        parsed.entity_key,
        parsed.repository_full_name,
        parsed.pull_request_key,
        parsed.commit_hash,
        parsed.found_in,
        parsed.mentioned_as,
        project_keys.project_key || '-' || parsed.issue_number as issue_key,
        project_keys.is_alias as is_alias,
        issues.issue_id
    from parsed
    inner join project_keys
        on parsed.key_prefix = project_keys.key_prefix
    left join issues
        on project_keys.project_key || '-' || parsed.issue_number = issues.issue_key
    where parsed.issue_number != ''

)

select * from final
