-- one row per jira issue, kept custom field and value (one per element of a list): story points, team, jira.silver.searchable_custom_fields
-- config: materialized=view
-- What JQL reads for `"Severity" = "S1 - Critical"` or `cf[10016] > 3`. value_text is the comparable
-- value (an option's value, a user's account id, a string, a number as text), value_label what people
-- call it (a user's or team's display name), value_number the number when it is one.
with issues as (

    select issue_id, issue_key, custom_fields
    from stg_jira__issues
    where custom_fields is not null

),

fields as (

    select field_id, field_name, schema_type
    from jira_fields

),

entries as (

    select issues.issue_id, issues.issue_key, entry.key as field_id, entry.value as field_value
    from issues, json_each(issues.custom_fields) as entry
    where json_type(entry.value) <> 'NULL'

),

elements as (

    select entries.issue_id, entries.issue_key, entries.field_id, element.value as element
    from entries,
        json_each(
            case json_type(entries.field_value) when 'ARRAY' then entries.field_value else json_array(entries.field_value) end
        ) as element
    where json_type(element.value) <> 'NULL'

),

final as (

    select
        elements.issue_id,
        elements.issue_key,
        elements.field_id,
        fields.field_name,
        coalesce(fields.schema_type in ('string', 'any'), false) as is_text,
        case json_type(elements.element)
            when 'OBJECT' then case
                when elements.element ->> 'type' = 'doc' then array_to_string(
                    regexp_extract_all(elements.element::varchar, '"text":"((?:[^"\\]|\\.)*)"', 1), ' '
                )
                else coalesce(
                    elements.element ->> 'value',
                    elements.element ->> 'accountId',
                    elements.element ->> 'key',
                    elements.element ->> 'name',
                    elements.element ->> 'id'
                )
            end
            when 'VARCHAR' then elements.element ->> '$'
            else elements.element::varchar
        end as value_text,
        case json_type(elements.element)
            when 'OBJECT' then coalesce(
                elements.element ->> 'displayName', elements.element ->> 'name', elements.element ->> 'title'
            )
        end as value_label,
        case
            when json_type(elements.element) in ('BIGINT', 'UBIGINT', 'DOUBLE') then elements.element::varchar::double
            when json_type(elements.element) = 'VARCHAR' then try_cast(elements.element ->> '$' as double)
        end as value_number,
        elements.element as value_json
    from elements
    left join fields
        on elements.field_id = fields.field_id

)

select * from final
