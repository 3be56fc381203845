"""Model discovery: the relations each model reads (sqlglot), their classification and the run order."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import ConfigError
from pipelines.silver import build_silver, references
from pipelines.silver.models import RETIRED_MODELS, load_models
from pipelines.silver.references import QueryParseError, relations_read
from pipelines.silver.warehouse import relations
from tests.silver.support import settings_for


def write_models(sql_dir: Path, files: dict[str, str]) -> Path:
    """Write `{"<layer>/<name>": "<config line>\\n<sql>"}` as model files with a grain comment."""
    for name, body in files.items():
        path = sql_dir / f"{name}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"-- one row per test row\n{body}\n", encoding="utf-8")
    return sql_dir


def by_name(sql_dir: Path) -> dict:
    return {model.name: model for model in load_models(sql_dir)}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # a CTE body does not see its own name: it reads the relation of that name
        ("with users as (select * from users) select * from users", {"users"}),
        # later CTEs and the body see earlier CTEs
        ("with a as (select * from t), b as (select * from a) select * from b join a using (k)", {"t"}),
        # an earlier CTE does not see a later one
        ("with a as (select * from b), b as (select 1) select * from a, b", {"b"}),
        # a CTE of a subquery is in scope in that subquery only
        ("select * from (with u as (select 1) select * from u) as s, u", {"u"}),
        ("with u as (select 1) select * from (select * from u) as s where exists (select 1 from u)", set()),
        ('select * from "Jira_Issues" as i inner join "jira users" on true', {"jira_issues", "jira users"}),
        ("select * from main.jira_issues, other_db.main.x, s.y", {"jira_issues", "other_db.main.x", "s.y"}),
        (
            "select a.x, (select max(y) from c) from a left join b on a.k = b.k "
            "where a.k in (select k from d) and not exists (select 1 from e where e.k = a.k)",
            {"a", "b", "c", "d", "e"},
        ),
        ("select * from a asof inner join b on a.k = b.k and a.t >= b.t positional join c", {"a", "b", "c"}),
        ("select * from a union all by name select * from b except select * from c", {"a", "b", "c"}),
        ("select * from t, unnest(t.l) as u(x), range(3), read_json('x.json'), generate_series(1, 2)", {"t"}),
        ("with recursive r as (select 1 as n union all select n + 1 from r where n < 3) select * from r", set()),
        ("select * from t -- from not_a_table\nwhere note = 'from not_a_table_either'", {"t"}),
    ],
)
def test_relations_read(sql, expected):
    assert relations_read(sql) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "with users as (select * from users) select * from users",
        "with a as (select * from t), b as (select * from a) select * from b join a using (k)",
        "with a as (select * from b), b as (select 1 as k) select * from a, b",
        "select * from (with u as (select 1 as k) select * from u) as s, u",
        "with u as (select 1 as k) select * from (select * from u) as s where exists (select 1 from u)",
        "with recursive r as (select 1 as n union all select n + 1 from r where n < 3) select * from r",
        "select * from t, unnest(t.l) as u(x), range(3) where k in (select k from main.s)",
    ],
)
def test_duckdb_finds_every_relation_among_those_found(sql):
    con = duckdb.connect()
    for name in relations_read(sql):
        con.execute(f'create table "{name}" (k integer, l integer[])')
    con.execute(sql).fetchall()  # a relation missed would be a catalog error


@pytest.mark.parametrize(
    "sql",
    [
        "select * from t qualify row_number() over (partition by a order by b desc nulls last) = 1",
        "select payload ->> '$.key', __parent ->> 'issue_id', payload -> 'fields' from t",
        "select {'a': 1, 'b': [1, 2]}, [x.a for x in l if x.b], map {'k': 1} from t",
        "select list_transform(l, x -> x.id), list_reduce(l, (a, b) -> a + b), list_filter(l, lambda x: x > 1) from t",
        """select from_json(j, '{"a": "INTEGER"}'), json_extract_string(payload, ['a', 'b']) from t""",
        "select jira_custom_fields(payload.fields) as c, c.sprint ->> '$[*].id', c.* exclude (sprint) from t",
        "select unnest(l, recursive := true), * exclude (a) replace (b + 1 as b), x::struct(a int)[] from t",
        "select count(*) filter (where a) from t group by all having count(*) > 1 order by all",
    ],
)
def test_duckdb_syntax_of_the_models_parses(sql):
    assert relations_read(sql) == {"t"}


def test_every_model_parses_and_reads_what_it_names():
    models = {model.name: model for model in load_models()}
    assert [name for name, model in models.items() if model.parse_error] == []
    issue_records = models["stg_jira__issue_records"]  # calls the jira_custom_fields macro: a function, not a relation
    assert issue_records.reads == ("bronze_jira_issues",) and issue_records.depends_on == ()
    releases = models["jira_issue_releases"]
    assert releases.reads == (
        "_silver_jira_release_label_patterns", "int_jira__corrected_issues", "int_jira__deleted_issues", "jira_releases"
    )  # fmt: skip
    assert releases.depends_on == ("int_jira__corrected_issues", "int_jira__deleted_issues", "jira_releases")
    # `count(*) ... as deployments` is a column, not a read of the model `deployments`
    assert models["dora_daily"].depends_on == ("int_delivery__dora_facts",)
    # `with identity as (select * from identity)`: the CTE body reads the model
    assert models["anomaly_unmatched_identity"].depends_on == ("identity",)


def test_dependencies_and_order_across_layers(tmp_path):
    sql_dir = write_models(
        tmp_path,
        {
            "silver/jira_issues": "-- config: materialized=table\nselect * from bronze_jira_issues",
            "silver/jira_users": "-- config: materialized=table\nselect * from bronze_jira_users",
            "gold/other": "select 1 as k",
            "gold/report": (
                "with jira_issues as (select * from jira_issues),\n"
                'users as (select * from "JIRA_USERS"),\n'
                "joined as (\n"
                "    select * from jira_issues inner join users on true\n"
                "    where exists (select 1 from (select * from other) as sub)\n"
                ")\n"
                "select * from joined, unnest([1]) as u(x) cross join _silver_delivery_config"
            ),
        },
    )
    models = load_models(sql_dir)
    report = models[-1]
    assert report.name == "report"
    assert report.depends_on == ("jira_issues", "jira_users", "other")
    assert report.reads == ("_silver_delivery_config", "jira_issues", "jira_users", "other")
    assert report.bronze == ()
    assert [m.name for m in models] == ["jira_issues", "jira_users", "other", "report"]
    assert models[0].bronze == ("bronze_jira_issues",)


def test_an_unknown_relation_is_an_error_naming_the_model(tmp_path):
    sql_dir = write_models(
        tmp_path,
        {"silver/jira_issues": "select 1 as k", "gold/report": "select * from jira_issues join jira_isues using (k)"},
    )
    with pytest.raises(ConfigError, match=r"report\.sql: reads jira_isues, which is not a model"):
        load_models(sql_dir)


def test_a_dependency_cycle_names_the_models_on_it(tmp_path):
    sql_dir = write_models(
        tmp_path,
        {
            "silver/loop_a": "select * from loop_b",
            "silver/loop_b": "select * from loop_c",
            "silver/loop_c": "select * from loop_a",
            "gold/downstream": "select * from loop_a",
        },
    )
    with pytest.raises(ConfigError, match="dependency cycle loop_a -> loop_b -> loop_c -> loop_a") as caught:
        load_models(sql_dir)
    assert "downstream" not in str(caught.value)
    (sql_dir / "silver" / "loop_c.sql").write_text("-- one row per test row\nselect 1\n")
    (sql_dir / "silver" / "loop_b.sql").write_text("-- one row per test row\nselect * from loop_b\n")
    with pytest.raises(ConfigError, match="dependency cycle loop_b -> loop_b"):
        load_models(sql_dir)


def test_a_query_naming_relations_in_strings_is_refused(tmp_path):
    sql_dir = write_models(tmp_path, {"silver/a": "select 1", "gold/b": "select * from query_table('a')"})
    with pytest.raises(ConfigError, match=r"b\.sql: query_table\(\) names relations in a string"):
        load_models(sql_dir)


def test_sql_sqlglot_cannot_parse_counts_every_identifier_as_a_read(tmp_path, monkeypatch, caplog):
    sql_dir = write_models(
        tmp_path,
        {
            "silver/jira_issues": "select 1 as k",
            "silver/jira_users": "select 1 as k",
            "gold/report": "select jira_users from jira_issues where note = 'other' -- other",
            "gold/other": "select 1 as k",
        },
    )

    def unparsable(sql):
        if "jira_users from" in sql:
            raise QueryParseError("Invalid expression / Unexpected token")
        return relations_read(sql)

    monkeypatch.setattr(references, "relations_read", unparsable)
    with caplog.at_level(logging.WARNING, logger="pipelines.silver"):
        report = by_name(sql_dir)["report"]
    assert report.parse_error == "Invalid expression / Unexpected token"
    # never fewer dependencies than the truth: the column named like a model counts too
    assert report.depends_on == ("jira_issues", "jira_users")
    assert "report.sql: sqlglot cannot parse it" in caplog.text


def test_a_staging_model_reads_bronze_only(tmp_path):
    files = {
        "silver/stg_jira__issue_records": "-- config: materialized=batch\nselect * from bronze_jira_issues",
        "silver/stg_jira__issues": "-- config: materialized=table\nselect * from stg_jira__issue_records",
        "silver/stg_jira__sweeps": "-- config: materialized=table\nselect * from bronze_jira_cursors",
        "silver/jira_issues": "select * from stg_jira__issues cross join _silver_jira_issue_type_categories",
        "silver/int_jira__issue_sweeps": "select * from stg_jira__issues, stg_jira__sweeps",
    }
    assert len(load_models(write_models(tmp_path, files))) == 5  # a stg_ batch model is bronze parsed once
    (tmp_path / "silver" / "stg_jira__sweeps.sql").write_text(
        "-- one row per test row\n-- config: materialized=table\nselect * from bronze_jira_cursors, jira_issues\n"
    )
    with pytest.raises(ConfigError, match=r"stg_jira__sweeps\.sql: staging model stg_jira__sweeps reads jira_issues"):
        load_models(tmp_path)
    (tmp_path / "silver" / "stg_jira__sweeps.sql").write_text(
        "-- one row per test row\nselect * from stg_jira__issues\n"
    )
    with pytest.raises(ConfigError, match=r"reads stg_jira__issues; .* is int_jira__sweeps"):
        load_models(tmp_path)  # a stored staging model is no bronze


def test_an_intermediate_model_reads_no_bronze(tmp_path):
    files = {"silver/int_jira__issues": "-- config: materialized=table\nselect * from bronze_jira_issues"}
    with pytest.raises(ConfigError, match="intermediate model int_jira__issues reads bronze_jira_issues"):
        load_models(write_models(tmp_path, files))


def test_the_old_name_of_a_renamed_model_cannot_come_back(tmp_path):
    sql_dir = write_models(tmp_path, {"silver/stg_delivery__pull_requests": "select 1 as k"})
    with pytest.raises(ConfigError, match="stg_delivery__pull_requests is the old name of bitbucket_pull_requests"):
        load_models(sql_dir)


def test_a_build_drops_relations_left_under_the_old_names_of_renamed_models(tmp_path, caplog):
    settings = settings_for(tmp_path)
    build_silver(settings)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create view stg_delivery__pull_requests as select * from bitbucket_pull_requests")
        con.execute("create table stg_delivery__project_keys as select * from int_delivery__project_keys")
        con.execute("create table my_notes as select 1 as note")  # not a retired name: kept
        con.execute("update _silver_state set value = 'older code' where key = 'inputs'")  # an older build's digest
    with caplog.at_level(logging.INFO, logger="pipelines.silver"):
        build_silver(settings)
    assert "incremental build" in caplog.text  # no stored model was renamed: no rebuild
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        names = set(relations(con))
    assert {"bitbucket_pull_requests", "int_delivery__project_keys", "my_notes"} <= names
    assert not names & set(RETIRED_MODELS)
    assert "dropped stg_delivery__project_keys (renamed int_delivery__project_keys)" in caplog.text
