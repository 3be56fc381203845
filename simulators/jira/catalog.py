"""Static catalogs of the Jira simulator: issue types, statuses, priorities, link types, custom fields, texts.

Modelled on the recorded Jira Cloud payloads in ../shared/fixtures/jira (merico.atlassian.net and
airbyteio.atlassian.net): Chinese and English names side by side, ~110 `customfield_*` keys per issue,
most of them null, a few objects and arrays (Sprint, Team, user pickers, options).
"""

from __future__ import annotations

# (id, name, untranslatedName, description, subtask, hierarchyLevel, avatarId)
ISSUE_TYPES = (
    ("10000", "Epic", "Epic", "A big user story that needs to be broken down.", False, 1, 10307),
    ("10001", "Story", "Story", "功能或需求，以用户视角描述。", False, 0, 10315),
    ("10002", "Task", "Task", "A small, distinct piece of work.", False, 0, 10318),
    ("10003", "Sub-task", "Sub-task", "A small piece of work that's part of a larger task.", True, -1, 10316),
    ("10004", "Bug", "Bug", "问题或错误。", False, 0, 10303),
    ("10005", "Incident", "Incident", "A production outage or degradation.", False, 0, 10304),
)
EPIC, STORY, TASK, SUBTASK, BUG, INCIDENT = range(6)
TYPE_WEIGHTS = (0.05, 0.40, 0.20, 0.15, 0.20, 0.0)  # incidents are made apart (world._make_incidents)

# (id, name, description, category index into STATUS_CATEGORIES)
STATUSES = (
    ("10000", "To Do", "", 0),
    ("3", "In Progress", "This issue is being actively worked on at the moment by the assignee.", 1),
    ("10001", "In Review", "代码评审中 👀", 1),
    ("10002", "Done", "", 2),
    ("10068", "已完成", "This status is managed internally by Jira Software", 2),
)
WORKFLOW = {0: (1,), 1: (2, 0), 2: (3, 4, 1), 3: (1,), 4: (1,)}  # status index -> next status indexes
STATUS_CATEGORIES = (
    (2, "new", "blue-gray", "To Do"),
    (4, "indeterminate", "yellow", "In Progress"),
    (3, "done", "green", "Done"),
)
RESOLUTION = {
    "self_path": "/rest/api/3/resolution/10000",
    "id": "10000",
    "name": "完成",
    "description": "事务上的工作已完成。",
}

# (id, name, color, icon)
PRIORITIES = (
    ("1", "Highest", "#d04437", "highest"),
    ("2", "High", "#f15C75", "high"),
    ("3", "Medium", "#f79232", "medium"),
    ("4", "Low", "#707070", "low"),
    ("5", "Lowest", "#999999", "lowest"),
)

# (id, name, inward, outward)
LINK_TYPES = (
    ("10000", "Blocks", "is blocked by", "blocks"),
    ("10001", "Cloners", "is cloned by", "clones"),
    ("10002", "Duplicate", "is duplicated by", "duplicates"),
    ("10003", "Relates", "relates to", "relates to"),
)

PROJECTS = (
    ("DPL", "Data Platform 数据平台"),
    ("WEB", "Web Storefront"),
    ("OPS", "Operations ⚙️"),
    ("MOB", "移动端 Mobile"),
    ("SEC", "Security"),
    ("FIN", "Finance Reporting"),
    ("HR", "People Tools"),
    ("QA", "Quality 质量"),
)

PEOPLE = (
    ("Mia Krystof", "Australia/Sydney"),
    ("Rankin Zheng", "Asia/Shanghai"),
    ("张伟", "Asia/Shanghai"),
    ("李娜", "Asia/Shanghai"),
    ("Émilie Durand", "Europe/Paris"),
    ("Søren Vestergaard", "Europe/Copenhagen"),
    ("Ana Lucía Pérez", "America/Mexico_City"),
    ("Kwame Mensah", "Africa/Accra"),
    ("Priya Raman", "Asia/Kolkata"),
    ("João Silva", "America/Sao_Paulo"),
    ("Olga Ivanova", "Europe/Moscow"),
    ("王芳 🚀", "Asia/Shanghai"),
    ("Tomás O'Brien", "Europe/Dublin"),
    ("Yuki Tanaka", "Asia/Tokyo"),
    ("Dingding Zhang", "Asia/Shanghai"),
    ("Lena Fischer", "Europe/Berlin"),
    ("Ahmed Hassan", "Africa/Cairo"),
    ("Chloé Martin", "Europe/Paris"),
    ("陈静", "Asia/Shanghai"),
    ("Sam Taylor", "America/Los_Angeles"),
)

SUMMARY_WORDS = (
    "Fix",
    "Add",
    "Refactor",
    "Migrate",
    "Investigate",
    "支持",
    "优化",
    "修复",
    "Document",
    "Remove",
    "login flow",
    "payment retries",
    "数据同步",
    "the release pipeline",
    "CSV export",
    "报表导出",
    "dark mode 🌙",
    "flaky test",
    "rate limiting",
    "search index",
    "用户权限",
    "webhook delivery",
    "timezone handling",
    "for mobile",
    "in checkout",
    "on Safari",
    "for 中文 users",
    "under load 🔥",
    "after upgrade",
    "in reports",
)
SENTENCES = (
    "Steps to reproduce are in the attached log.",
    "这个问题在生产环境复现了两次。",
    "Looks good to me 👍, merging after CI is green.",
    "Please check the retry logic — it backs off too aggressively.",
    "已在测试环境验证，可以关闭。",
    "Blocked until the upstream API is fixed 🚧.",
    "Customer reported this via support ticket; severity is high.",
    "我们需要在下一个迭代处理这个需求。",
    "Added unit tests and updated the changelog ✅.",
    "Performance dropped by 30% after the last deploy 📉.",
    "Can we split this into smaller stories?",
    "Emoji in names break the CSV export: 😀🙃🎉",
)
LABELS = ("backend", "frontend", "数据", "tech-debt", "customer", "🔥hotfix", "security", "ux", "performance")
FILENAMES = (
    ("screenshot.png", "image/png"),
    ("debuglog.txt", "text/plain"),
    ("设计稿.pdf", "application/pdf"),
    ("trace.json", "application/json"),
    ("报表.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)

CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
GH = "com.pyxis.greenhopper.jira:"

# Custom fields with a meaning: (number, name, kind, schema type, custom type, items)
NAMED_FIELDS = (
    (
        10000,
        "Development",
        "dev",
        "any",
        "com.atlassian.jira.plugins.jira-development-integration-plugin:devsummarycf",
        None,
    ),
    (10001, "Team", "team", "team", "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team", None),
    (10011, "Epic Name", "epic_name", "string", GH + "gh-epic-label", None),
    (10014, "Epic Link", "epic_link", "any", GH + "gh-epic-link", None),
    (10015, "Start date", "start_date", "date", CF + "datepicker", None),
    (10016, "Story point estimate", "story_points", "number", CF + "float", None),
    (10018, "Parent Link", "parent_link", "any", "com.atlassian.jpo:jpo-custom-field-parent", None),
    (10019, "Rank", "rank", "any", GH + "gh-lexo-rank", None),
    (10020, "Sprint", "sprint", "array", GH + "gh-sprint", "json"),
    (10021, "Flagged", "flagged", "array", CF + "multicheckboxes", "option"),
    (10023, "[CHART] Time in Status", "time_in_status", "any", "com.atlassian.jira.ext.charting:timeinstatus", None),
    (10026, "Story Points", "story_points", "number", CF + "float", None),
    (10030, "Reviewer", "user", "user", CF + "userpicker", None),
    (10031, "Approvers", "users", "array", CF + "multiuserpicker", "user"),
    (10032, "需求负责人", "user", "user", CF + "userpicker", None),
    (10040, "Severity", "severity", "option", CF + "select", None),
    (10041, "Affected services", "services", "array", CF + "labels", "string"),
    (10050, "Acceptance criteria", "adf", "string", CF + "textarea", None),
    (10051, "上线日期", "date", "date", CF + "datepicker", None),
    (10052, "Customer", "text", "string", CF + "textfield", None),
)
FILLER_NAMES = (
    "Legacy estimate",
    "Root cause",
    "Change risk",
    "Impact",
    "测试负责人",
    "需求来源",
    "Budget code",
    "Region",
    "Vendor ticket",
    "Go-live checklist",
    "影响范围",
    "Cost center",
    "QA notes",
    "SLA target",
)
SEVERITIES = (("10100", "S1 - Critical"), ("10101", "S2 - Major"), ("10102", "S3 - Minor"), ("10103", "S4 - 轻微"))
SERVICES = ("api-gateway", "billing", "search", "notifications", "数据仓库")
TEAMS = (("36885b3c-1bf0-4f85-a357-c5b858c31de4", "Platform 🛠"), ("9c0e2a4d-7a8b-4a44-9b1e-3f2d4c5b6a7e", "增长团队"))


def custom_field_specs(total: int) -> list[tuple]:
    """`total` custom field specs (number, name, kind, type, custom, items): the named ones, then null fillers."""
    specs = list(NAMED_FIELDS)
    number = 10060
    while len(specs) < total:
        name = FILLER_NAMES[(number - 10060) % len(FILLER_NAMES)]
        suffix = "" if number - 10060 < len(FILLER_NAMES) else f" ({number})"
        kind = ("text", "string", CF + "textfield", None) if number % 3 else ("number", "number", CF + "float", None)
        specs.append((number, name + suffix, "null", kind[1], kind[2], kind[3]))
        number += 1
    return specs[:total] if total < len(NAMED_FIELDS) else specs


def adf(text: str, mention: tuple[str, str] | None = None, bullets: tuple[str, ...] = ()) -> dict:
    """An Atlassian Document Format document: a paragraph, an optional mention, an optional bullet list."""
    paragraph: list[dict] = [{"type": "text", "text": text}]
    if mention:
        paragraph += [
            {"type": "text", "text": " cc "},
            {"type": "mention", "attrs": {"id": mention[0], "text": "@" + mention[1], "accessLevel": ""}},
        ]
    content: list[dict] = [{"type": "paragraph", "content": paragraph}]
    if bullets:
        items = [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": b}]}]}
            for b in bullets
        ]
        content.append({"type": "bulletList", "content": items})
    return {"type": "doc", "version": 1, "content": content}


def sentence(seed: int, offset: int = 0) -> str:
    """A deterministic sentence picked from SENTENCES."""
    return SENTENCES[(seed * 7 + offset * 13) % len(SENTENCES)]


def summary(seed: int) -> str:
    """A deterministic issue summary mixing English, Chinese and emoji."""
    n = len(SUMMARY_WORDS)
    return (
        f"{SUMMARY_WORDS[seed % 10]} {SUMMARY_WORDS[10 + seed // 10 % 10]} {SUMMARY_WORDS[20 + seed // 100 % (n - 20)]}"
    )
