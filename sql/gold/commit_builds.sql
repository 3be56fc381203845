-- one row per bitbucket commit and jenkins build that built it (a git revision) or listed it in a change set
-- config: materialized=view
with builds as (

    select * from jenkins_builds

),

build_scm as (

    select * from stg_delivery__build_scm

),

remotes as (

    select * from int_delivery__git_remotes

),

commits as (

    select repository_full_name, commit_hash from bitbucket_commits

),

repositories as (

    select repository_full_name, unnest(remote_urls) as remote_url from stg_delivery__repositories

),

-- the commits a build names, each with the remote urls it was checked out from (empty when unknown)
named as (

    select build_scm.build_key, lower(revision.commit_hash) as commit_hash, 'revision' as found_in, revision.remote_urls
    from build_scm, unnest(build_scm.revisions) as r(revision)
    union all
    select builds.build_key, lower(unnest(builds.change_set_commit_hashes)), 'change_set', build_scm.remote_urls
    from builds
    left join build_scm
        on builds.build_key = build_scm.build_key

),

-- a remote url names a repository when it equals one of its clone urls, or its path is the full name
remote_repositories as (

    select distinct remotes.remote_url, commits.repository_full_name
    from remotes
    inner join (select distinct repository_full_name from commits) as commits
        on remotes.url_path = lower(commits.repository_full_name)
    union
    select remotes.remote_url, repositories.repository_full_name
    from remotes
    inner join remotes as clone
        on remotes.normalized_url = clone.normalized_url
    inner join repositories
        on clone.remote_url = repositories.remote_url

),

named_urls as (

    select build_key, commit_hash, found_in, unnest(remote_urls) as remote_url
    from named

),

matched as (

    select named_urls.build_key, named_urls.commit_hash, named_urls.found_in, remote_repositories.repository_full_name
    from named_urls
    inner join remote_repositories
        on named_urls.remote_url = remote_repositories.remote_url
    union all
    -- no remote url recorded: the hash alone decides
    select named.build_key, named.commit_hash, named.found_in, commits.repository_full_name
    from named
    inner join commits
        on named.commit_hash = commits.commit_hash
    where coalesce(len(named.remote_urls), 0) = 0

),

final as (

    select
        commits.repository_full_name,
        commits.commit_hash,
        builds.build_key,
        builds.job_full_name,
        builds.build_number,
        builds.result,
        builds.started_at,
        list_sort(list_distinct(list(matched.found_in))) as found_in
    from matched
    inner join commits
        on matched.repository_full_name = commits.repository_full_name
        and matched.commit_hash = commits.commit_hash
    inner join builds
        on matched.build_key = builds.build_key
    group by all

)

select * from final
