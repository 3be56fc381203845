-- one row per bitbucket repository: its clone and web addresses (for matching jenkins remote urls)
-- config: materialized=merge unique_key=repository_full_name version=_ingested_at
with repositories as (

    select * from bronze_bitbucket_repositories

),

final as (

    select
        coalesce(payload.full_name, __id ->> '$') as repository_full_name,
        list_filter(
            coalesce(list_transform(payload.links.clone, c -> c.href), []) || [payload.links.html.href],
            url -> url is not null
        ) as remote_urls,
        __run_id as _run_id,
        __ingested_at_utc as _ingested_at
    from repositories

)

select * from final
