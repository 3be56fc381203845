-- one row per bitbucket account (uuid) and e-mail address it authored commits with ('' for none seen)
-- config: materialized=merge unique_key=account_uuid,email_address version=_ingested_at
with pull_requests as (

    select * from bronze_bitbucket_pull_requests

),

commits as (

    select * from bronze_bitbucket_commits
    union all
    select * from bronze_bitbucket_pr_commits

),

authors as (

    select
        payload.author.uuid as account_uuid,
        '' as email_address,
        payload.author.account_id as atlassian_account_id,
        payload.author.nickname as nickname,
        payload.author.display_name as display_name,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from pull_requests
    union all
    -- the git author e-mail of a commit Bitbucket attributes to the account (one of its verified addresses)
    select
        payload.author.user.uuid,
        lower(regexp_extract(payload.author.raw, '<([^<>@\s]+@[^<>\s]+)>', 1)),
        payload.author.user.account_id,
        payload.author.user.nickname,
        payload.author.user.display_name,
        __run_id,
        __ingested_at_utc
    from commits

),

final as (

    select
        lower(account_uuid) as account_uuid,
        coalesce(email_address, '') as email_address,
        atlassian_account_id,
        nickname,
        display_name,
        _run_id,
        _ingested_at
    from authors
    where account_uuid is not null

)

select * from final
