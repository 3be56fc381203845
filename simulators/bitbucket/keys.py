"""Deterministic names shared by the Bitbucket and Jenkins simulators: people, Jira-like keys, hashes.

Both worlds draw from the same seed, so a Jenkins build can point at a commit that exists in the
Bitbucket world, and PR titles, branches and commit messages carry Jira keys (`DPL-12`) that the
Jira simulator's default world resolves: its first projects are DPL, WEB and OPS with about 140, 70
and 45 issues, and keys are drawn well below that. Some texts deliberately carry no key, a number
that does not exist, a typo'd project or an unknown one, as real teams do; some branches spell the
key in lowercase.
"""

from __future__ import annotations

import hashlib
import random
import uuid

ANCHOR_TS = 1793491200  # 2026-11-01T00:00:00Z: the worlds' "now" before any advance()
JIRA_PROJECTS = (("DPL", 100, 3), ("WEB", 50, 2), ("OPS", 30, 1))  # key, highest number used, weight
WRONG_KEYS = ("DPL-9999", "DLP-12", "ABC-1")  # no such issue / typo'd project / unknown project

PEOPLE = (
    ("Ana Lima", "ana.lima"),
    ("Bo Chen", "bo.chen"),
    ("Chidi Okafor", "chidi"),
    ("Dana Weiss", "dweiss"),
    ("Eero Mäkinen", "eero"),
    ("Fatima Zahra", "fzahra"),
    ("Gus Ortega", "gus"),
    ("Hana Sato", "hana.sato"),
)

VERBS = ("Fix", "Add", "Refactor", "Update", "Remove", "Speed up", "Document", "Harden")
NOUNS = (
    "login flow",
    "payment retry",
    "cache layer",
    "search index",
    "CI config",
    "rate limiter",
    "user profile",
    "audit log",
    "export job",
    "feature flags",
    "health check",
    "session timeout",
)


def sha1(*parts: object) -> str:
    """A stable 40-hex commit hash for the given parts."""
    return hashlib.sha1(":".join(str(p) for p in parts).encode()).hexdigest()


def stable_uuid(rng: random.Random) -> str:
    """A UUID in Bitbucket's braces form, drawn from `rng`."""
    return "{" + str(uuid.UUID(int=rng.getrandbits(128), version=4)) + "}"


def jira_key(rng: random.Random) -> str | None:
    """A Jira-like key for a title/branch/message: mostly valid, sometimes none, sometimes wrong."""
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.22:
        return rng.choice(WRONG_KEYS)
    project, highest, _ = rng.choices(JIRA_PROJECTS, [w for _, _, w in JIRA_PROJECTS])[0]
    return f"{project}-{rng.randint(1, highest)}"


def summary(rng: random.Random) -> str:
    """A short change summary such as 'Fix payment retry'."""
    return f"{rng.choice(VERBS)} {rng.choice(NOUNS)}"


def slugify(text: str) -> str:
    """Lowercase words joined by dashes, as used in branch names."""
    return "-".join("".join(ch for ch in word if ch.isalnum()) for word in text.lower().split())[:40]
