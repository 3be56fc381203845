-- one row per bitbucket pull request (its latest version) with when it was merged or closed
-- config: materialized=view
-- Bitbucket has no merge or close time on a pull request: merged_at and closed_at are the date of
-- the activity entry that moved it into its final state, else the merge commit's date (merged),
-- else its last update.
with pull_requests as (

    select * from stg_bitbucket__pull_requests

),

state_changes as (

    select * from stg_bitbucket__pull_request_state_changes

),

commits as (

    select repository_full_name, commit_hash, committed_at from bitbucket_commits

),

-- Bitbucket gives the merge commit's hash shortened to 12 characters: matched on those (an equi-join)
merge_commits as (

    select pull_requests.pull_request_key, min(commits.committed_at) as committed_at
    from pull_requests
    inner join commits
        on pull_requests.repository_full_name = commits.repository_full_name
        and left(pull_requests.merge_commit_hash, 12) = left(commits.commit_hash, 12)
    where length(pull_requests.merge_commit_hash) >= 12
    group by pull_requests.pull_request_key

),

-- the last change into each final state (a declined pull request may be reopened and declined again)
last_changes as (

    select pull_request_key, state, max(changed_at) as changed_at
    from state_changes
    group by all

),

closed as (

    select
        pull_requests.*,
        case
            when pull_requests.state <> 'OPEN' then coalesce(
                last_changes.changed_at,
                case when pull_requests.state = 'MERGED' then merge_commits.committed_at end,
                pull_requests.updated_at
            )
        end as closed_at
    from pull_requests
    left join last_changes
        on pull_requests.pull_request_key = last_changes.pull_request_key
        and pull_requests.state = last_changes.state
    left join merge_commits
        on pull_requests.pull_request_key = merge_commits.pull_request_key

),

final as (

    select
        closed.* exclude (closed_at, _run_id, _ingested_at),
        case when closed.state = 'MERGED' then closed.closed_at end as merged_at,
        closed.closed_at,
        closed._run_id,
        closed._ingested_at
    from closed

)

select * from final
