"""The workbench: Jira's questions answered from the warehouse, without calling Jira.

- `jql/`: JQL → one SQL SELECT over silver (`jql_to_sql(text, settings) -> (sql, params)`);
- `queries.py`: saved queries in sql/queries (`list_queries()`, `get_query(name)`, `render(name, params)`);
- `run.py`: check and run either on the warehouse (`run_jql`, `run_saved`); `output.py`: table, CSV, JSON;
- `cli.py`: the `jql`, `queries` and `query` commands; `settings.py`: config/workbench.yaml.

Local corrections of Jira issues are applied by silver (pipelines/silver/corrections.py).
"""

from pipelines.workbench.jql import catalog_from_warehouse, compile_jql, jql_to_sql
from pipelines.workbench.queries import get_query, list_queries, render
from pipelines.workbench.run import check

__all__ = ["catalog_from_warehouse", "check", "compile_jql", "get_query", "jql_to_sql", "list_queries", "render"]
