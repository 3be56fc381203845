"""The loop guard's page digest: ids when every record has one, the records otherwise."""

from pipelines.dlt.http.guards import page_digest


def test_pages_with_the_same_ids_in_the_same_order_are_the_same_page():
    first = [{"id": "1", "fields": {"summary": "a"}}, {"id": "2"}]
    assert page_digest(first) == page_digest([{"id": "1", "fields": {"summary": "changed"}}, {"id": "2"}])
    assert page_digest(first) != page_digest([{"id": "2"}, {"id": "1"}])
    assert page_digest(first) != page_digest([{"id": "1"}])


def test_records_without_ids_are_compared_whole():
    values = [{"worklogId": 1, "updatedTime": 5}, {"worklogId": 2, "updatedTime": 6}]
    assert page_digest(values) == page_digest([dict(v) for v in values])
    assert page_digest(values) != page_digest([{"worklogId": 1, "updatedTime": 5}, {"worklogId": 3, "updatedTime": 6}])
    assert page_digest([{"id": "1"}, {"name": "no id"}]) != page_digest([{"id": "1"}, {"name": "other"}])
    assert page_digest(["a", "b"]) != page_digest(["a", "c"])
