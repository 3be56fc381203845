"""Fixtures of the agent tests: the lab (tests/agent/lab.py)."""

from tests.agent.lab import lab_fixtures

lab_env, lab = lab_fixtures()
