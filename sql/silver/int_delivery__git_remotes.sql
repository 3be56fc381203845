-- one row per git remote url seen in jenkins builds or bitbucket repositories, normalised to `host/path`
-- config: materialized=view
with build_scm as (

    select * from stg_delivery__build_scm

),

repositories as (

    select * from stg_delivery__repositories

),

urls as (

    select distinct unnest(remote_urls) as remote_url from build_scm
    union
    select distinct unnest(remote_urls) from repositories

),

-- https://user@host:443/scm/ws/repo.git/, ssh://git@host:7999/ws/repo.git and git@host:ws/repo.git
-- all become host/ws/repo (lowercase; Bitbucket Server's /scm/ prefix dropped)
schemeless as (

    select
        remote_url,
        regexp_matches(lower(trim(remote_url)), '^[a-z][a-z0-9+.-]*://') as has_scheme,
        regexp_replace(
            regexp_replace(lower(trim(remote_url)), '^[a-z][a-z0-9+.-]*://', ''),
            '^[^@/]+@',
            ''
        ) as rest
    from urls
    where remote_url is not null

),

hosted as (

    select
        remote_url,
        case
            when has_scheme then regexp_replace(rest, '^([^/:]+):[0-9]+(/|$)', '\1/')
            else regexp_replace(rest, '^([^/:]+):/?', '\1/')
        end as rest
    from schemeless

),

final as (

    select
        remote_url,
        regexp_replace(regexp_replace(rest, '(\.git)?/*$', ''), '^([^/]+)/scm/', '\1/') as normalized_url,
        split_part(normalized_url, '/', 1) as url_host,
        substr(normalized_url, length(url_host) + 2) as url_path
    from hosted

)

select * from final
