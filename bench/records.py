"""Synthetic Jira-like issue records (~3 KB each, ~110 custom fields) for the bronze benchmarks."""

from __future__ import annotations

import random


def jira_like_issue(i: int, rng: random.Random) -> dict:
    """One issue shaped like search/jql output: nested objects, nulls, unicode, an ADF description."""
    custom = {}
    for n in range(110):
        kind = (n * 7 + i) % 5
        key = f"customfield_{10000 + n}"
        if kind == 0:
            custom[key] = None
        elif kind == 1:
            custom[key] = rng.random() * 100
        elif kind == 2:
            custom[key] = {"value": f"option-{n % 9}", "id": str(20000 + n)}
        elif kind == 3:
            custom[key] = [f"label-{n}", "数据"]
        else:
            custom[key] = None
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": str(100000 + i),
        "self": f"https://example.atlassian.net/rest/api/3/issue/{100000 + i}",
        "key": f"DEMO-{i}",
        "fields": {
            "summary": f"Issue {i}: make the widget faster — ünïcödé 🚀",
            "updated": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000+0000",
            "created": "2025-01-01T00:00:00.000+0000",
            "status": {"name": "In Progress", "id": "3", "statusCategory": {"key": "indeterminate", "id": 4}},
            "issuetype": {"name": "Story", "id": "10001", "subtask": False, "hierarchyLevel": 0},
            "assignee": {"accountId": f"5b10a2844c20165700ede{i % 50:03d}", "displayName": "Mia Krystof"},
            "labels": ["backend", f"release-1.{i % 7}"],
            "description": {
                "type": "doc",
                "version": 1,
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": "lorem ipsum " * 8}]}],
            },
            **custom,
        },
    }


def make_records(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [jira_like_issue(i, rng) for i in range(n)]
