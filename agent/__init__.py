"""Tools for AI assistants: a sandboxed, policy-bounded view of the warehouse (config/ai_policy.yaml).

`open_session(settings, policy)` is the sandbox (also for notebooks); `agent.tools` the tool
registry; `python -m agent.mcp` the MCP server; `python -m agent.query` the same tools from a shell.
"""
