-- one row per account in jira, bitbucket or jenkins and the person it belongs to (null when it cannot be matched)
-- config: materialized=view
with jira_users as (

    select * from jira_users

),

bitbucket_accounts as (

    select * from stg_delivery__bitbucket_accounts

),

build_scm as (

    select * from stg_delivery__build_scm

),

people as (

    select * from _silver_delivery_people

),

jenkins_users as (

    select unnest(cause_users, recursive := true), _ingested_at from build_scm

),

accounts as (

    select
        'jira' as system,
        account_id,
        null::varchar as account_name,
        display_name,
        list_filter([lower(email_address)], e -> e is not null and e != '') as email_addresses,
        null::varchar as atlassian_account_id,
        coalesce(account_type = 'app', false) as is_app
    from jira_users
    union all
    select
        'bitbucket',
        account_uuid,
        arg_max(nickname, _ingested_at),
        arg_max(display_name, _ingested_at),
        list_sort(list(distinct email_address) filter (where email_address != '')),
        arg_max(atlassian_account_id, _ingested_at),
        false
    from bitbucket_accounts
    group by account_uuid
    union all
    select 'jenkins', lower(user_id), lower(user_id), arg_max(user_name, _ingested_at), [], null, false
    from jenkins_users
    group by lower(user_id)

),

-- config/identity.yaml: an id, nickname or e-mail listed for exactly one person
by_config as (

    select accounts.system, accounts.account_id, min(people.person_name) as person_name
    from accounts
    inner join people
        on (people.identity_kind = 'email' and list_contains(accounts.email_addresses, people.identity_value))
        or (
            people.identity_kind = 'jira_account_id' and accounts.system = 'jira'
            and lower(accounts.account_id) = people.identity_value
        )
        or (
            people.identity_kind = 'bitbucket_uuid' and accounts.system = 'bitbucket'
            and accounts.account_id = people.identity_value
        )
        or (
            people.identity_kind = 'bitbucket_nickname' and accounts.system = 'bitbucket'
            and lower(accounts.account_name) = people.identity_value
        )
        or (
            people.identity_kind = 'jenkins_user_id' and accounts.system = 'jenkins'
            and accounts.account_id = people.identity_value
        )
    group by all
    having count(distinct people.person_name) = 1

),

jira_people as (

    select
        accounts.account_id,
        accounts.email_addresses,
        coalesce('person:' || by_config.person_name, 'jira:' || accounts.account_id) as person_key,
        coalesce(by_config.person_name, accounts.display_name) as person_name
    from accounts
    left join by_config
        on accounts.system = by_config.system and accounts.account_id = by_config.account_id
    where accounts.system = 'jira' and not accounts.is_app

),

-- exact matches to one jira account: the same atlassian account id, else the same e-mail address
by_jira as (

    select
        accounts.system,
        accounts.account_id,
        case
            when bool_or(accounts.atlassian_account_id = jira_people.account_id) then 'atlassian_account_id'
            else 'email'
        end as matched_by,
        min(jira_people.person_key) as person_key,
        min(jira_people.person_name) as person_name
    from accounts
    inner join jira_people
        on accounts.atlassian_account_id = jira_people.account_id
        or len(list_intersect(accounts.email_addresses, jira_people.email_addresses)) > 0
    where accounts.system != 'jira'
    group by all
    having count(distinct jira_people.person_key) = 1

),

final as (

    select
        accounts.system,
        accounts.account_id,
        accounts.account_name,
        accounts.display_name,
        accounts.email_addresses,
        accounts.is_app,
        coalesce('person:' || by_config.person_name, by_jira.person_key, jira_people.person_key) as person_key,
        coalesce(by_config.person_name, by_jira.person_name, jira_people.person_name) as person_name,
        case
            when by_config.person_name is not null then 'config'
            when by_jira.matched_by is not null then by_jira.matched_by
            when jira_people.person_key is not null then 'jira_account'
        end as matched_by
    from accounts
    left join by_config
        on accounts.system = by_config.system and accounts.account_id = by_config.account_id
    left join by_jira
        on accounts.system = by_jira.system and accounts.account_id = by_jira.account_id
    left join jira_people
        on accounts.system = 'jira' and accounts.account_id = jira_people.account_id

)

select * from final
