"""GET /rest/api/3/field of the Jira simulator: system fields and every custom field, with names."""

from __future__ import annotations

SYSTEM_FIELDS = (
    ("statuscategorychangedate", "Status Category Changed", "datetime"),
    ("issuetype", "Issue Type", "issuetype"),
    ("timespent", "Time Spent", "number"),
    ("project", "Project", "project"),
    ("fixVersions", "Fix versions", "array"),
    ("aggregatetimespent", "Σ Time Spent", "number"),
    ("resolution", "Resolution", "resolution"),
    ("resolutiondate", "Resolved", "datetime"),
    ("workratio", "Work Ratio", "number"),
    ("watches", "Watchers", "watches"),
    ("lastViewed", "Last Viewed", "datetime"),
    ("issuerestriction", "Restrict to", "issuerestriction"),
    ("created", "Created", "datetime"),
    ("priority", "Priority", "priority"),
    ("labels", "Labels", "array"),
    ("aggregatetimeoriginalestimate", "Σ Original Estimate", "number"),
    ("timeestimate", "Remaining Estimate", "number"),
    ("versions", "Affects versions", "array"),
    ("issuelinks", "Linked Issues", "array"),
    ("assignee", "Assignee", "user"),
    ("updated", "Updated", "datetime"),
    ("status", "Status", "status"),
    ("components", "Components", "array"),
    ("timeoriginalestimate", "Original estimate", "number"),
    ("description", "Description", "string"),
    ("timetracking", "Time tracking", "timetracking"),
    ("security", "Security Level", "securitylevel"),
    ("attachment", "Attachment", "array"),
    ("aggregatetimeestimate", "Σ Remaining Estimate", "number"),
    ("summary", "Summary", "string"),
    ("creator", "Creator", "user"),
    ("subtasks", "Sub-tasks", "array"),
    ("reporter", "Reporter", "user"),
    ("aggregateprogress", "Σ Progress", "progress"),
    ("environment", "Environment", "string"),
    ("duedate", "Due date", "date"),
    ("progress", "Progress", "progress"),
    ("votes", "Votes", "votes"),
    ("comment", "Comment", "comments-page"),
    ("worklog", "Log Work", "array"),
    ("parent", "Parent", "issuelink"),
    ("statusCategory", "Status Category", "statusCategory"),
)


def field_catalog(world, api: str) -> list[dict]:
    """GET /rest/api/3/field: system fields and every custom field, named so silver can map them by name."""
    out = []
    for field_id, name, kind in SYSTEM_FIELDS:
        schema = (
            {"type": kind, "system": field_id}
            if kind != "array"
            else {"type": "array", "items": "string", "system": field_id}
        )
        out.append(
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [field_id],
                "schema": schema,
            }
        )
    for number, name, _kind, kind_type, custom, items in world.custom_fields:
        schema = {"type": kind_type, "custom": custom, "customId": number}
        if items:
            schema["items"] = items
        out.append(
            {
                "id": f"customfield_{number}",
                "key": f"customfield_{number}",
                "name": name,
                "custom": True,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{number}]", name],
                "schema": schema,
            }
        )
    return out
