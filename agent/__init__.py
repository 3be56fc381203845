"""Tools for AI assistants: read-only, policy-checked access to the warehouse (config/ai_policy.yaml)."""
