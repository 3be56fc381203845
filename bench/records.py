"""Synthetic Jira-like issue records (~3 KB of JSON each) for the bronze benchmarks.

Each record is shaped like a search/jql issue: nested objects, ~70 custom fields (most of them null,
as on real sites), unicode, an ADF description. Values vary per record as on a real site (numbers,
people, labels, text drawn from a seeded generator), so compression sees realistic data.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator

CUSTOM_FIELDS = 70
POOL = 1000  # distinct records behind pages()
SELF = "https://example.atlassian.net/rest/api/3/issue/"
VOCABULARY = (
    "the widget cache login page release build deploy fails when after timeout retry user report export "
    "import sync api token error slow fast mobile web payment invoice queue worker database index migration "
    "flaky test crash null pointer memory leak upgrade dependency config feature flag rollout ünïcödé 数据 🚀"
)
WORDS = VOCABULARY.split()
STATUSES = (
    {"name": "To Do", "id": "1", "statusCategory": {"key": "new", "id": 2}},
    {"name": "In Progress", "id": "3", "statusCategory": {"key": "indeterminate", "id": 4}},
    {"name": "Done", "id": "10001", "statusCategory": {"key": "done", "id": 3}},
)
TYPES = (
    {"name": "Story", "id": "10001", "subtask": False, "hierarchyLevel": 0},
    {"name": "Bug", "id": "10004", "subtask": False, "hierarchyLevel": 0},
    {"name": "Task", "id": "10002", "subtask": False, "hierarchyLevel": 0},
)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words))


CUSTOM_KEYS = [f"customfield_{10000 + n}" for n in range(CUSTOM_FIELDS)]


def _custom_fields(i: int, rng: random.Random) -> dict:
    """Eight in ten null; the others numbers, options or label lists (which ones rotates with `i`)."""
    fields = dict.fromkeys(CUSTOM_KEYS)
    for n in range((24 - 3 * i) % 10, CUSTOM_FIELDS, 10):  # (n * 7 + i) % 10 == 8
        fields[CUSTOM_KEYS[n]] = (
            round(rng.random() * 100, 2) if n % 2 else {"value": f"option-{rng.randrange(9)}", "id": str(20000 + n)}
        )
    for n in range((27 - 3 * i) % 10, CUSTOM_FIELDS, 10):  # (n * 7 + i) % 10 == 9
        fields[CUSTOM_KEYS[n]] = [f"label-{rng.randrange(40)}", "数据"]
    return fields


def jira_like_issue(i: int, rng: random.Random) -> dict:
    """Issue number `i` (id 100000+i), its values drawn from `rng`."""
    person, day = rng.randrange(500), f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": str(100000 + i),
        "self": f"{SELF}{100000 + i}",
        "key": f"DEMO-{i}",
        "fields": {
            "summary": f"{_text(rng, 6)} ({i})",
            "updated": f"{day}T{i % 24:02d}:{i % 60:02d}:{rng.randrange(60):02d}.000+0000",
            "created": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00.000+0000",
            "status": STATUSES[i % 3],
            "issuetype": TYPES[i % 3],
            "assignee": {"accountId": f"5b10a2844c20165700ede{person:03d}", "displayName": f"User {person}"},
            "labels": ["backend", f"release-1.{rng.randrange(9)}"],
            "description": {
                "type": "doc",
                "version": 1,
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": _text(rng, 14)}]}],
            },
            **_custom_fields(i, rng),
        },
    }


def make_records(n: int, seed: int = 7) -> list[dict]:
    """`n` records in memory (for throughput runs that must not time the generator)."""
    rng = random.Random(seed)
    enabled = gc.isenabled()
    gc.disable()  # millions of new containers: the cyclic collector would rescan them again and again
    try:
        return [jira_like_issue(i, rng) for i in range(n)]
    finally:
        if enabled:
            gc.enable()


def pages(n: int, size: int = 100, seed: int = 7) -> Iterator[list[dict]]:
    """`n` records made lazily, `size` a page, for memory runs that must keep nothing.

    Record `i` is record `i % POOL` of a pool made once, with its own id, key and `updated`: cheap
    enough (~3 µs) that a million records measure the pipeline, not the generator.
    """
    pool = make_records(POOL, seed)
    for start in range(0, n, size):
        page = []
        for i in range(start, min(n, start + size)):
            base = pool[i % POOL]
            updated = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}.000+0000"
            fields = {**base["fields"], "updated": updated}
            issue_id = str(100000 + i)
            page.append({**base, "id": issue_id, "self": SELF + issue_id, "key": f"DEMO-{i}", "fields": fields})
        yield page
