"""`python -m pipelines agent-audit` (`make agent-audit`): the last agent tool calls."""

from __future__ import annotations

from agent.audit import show


def register(sub) -> None:
    audit = sub.add_parser("agent-audit", help="print the last agent tool calls (audit log beside the warehouse)")
    audit.add_argument("--limit", type=int, default=50)


def cmd_agent_audit(settings, args) -> int:
    print(show(settings, max(args.limit, 1)))
    return 0


COMMANDS = {"agent-audit": cmd_agent_audit}
