"""Where a JSON document's records sit (orchestration/ingest/layouts.py): each vendor envelope read, and refused
with a reason when it is not the shape its layout says."""

from __future__ import annotations

import pytest

from orchestration.ingest.errors import FileRejected
from orchestration.ingest.layouts import is_one_record, records_from_document


def test_anthropic_results_take_their_buckets_bounds():
    page = {
        "data": [
            {"starting_at": "2026-03-01T00:00:00Z", "ending_at": "2026-03-02T00:00:00Z", "results": [{"a": 1}]},
            {"starting_at": "2026-03-02T00:00:00Z", "ending_at": "2026-03-03T00:00:00Z", "results": []},
        ],
        "has_more": False,
        "next_page": None,
    }
    assert (
        list(records_from_document([page, page], "anthropic_pages"))
        == [{"a": 1, "starting_at": "2026-03-01T00:00:00Z", "ending_at": "2026-03-02T00:00:00Z"}] * 2
    )


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"results": []}, "not an Anthropic Admin API report page"),
        ({"data": [{"starting_at": "x"}]}, "Anthropic Admin API report bucket without a 'results' array"),
        ([{"data": "none"}], "not an Anthropic Admin API report page"),
    ],
)
def test_a_page_of_another_shape_is_refused_whole(doc, reason):
    with pytest.raises(FileRejected, match=reason):
        list(records_from_document(doc, "anthropic_pages"))


def test_an_envelope_its_pages_and_unwrapped_records_all_read():
    seat = {"assignee": {"id": 1}}
    one = {"total_seats": 2, "seats": [seat, seat]}
    assert list(records_from_document(one, "envelope", "seats")) == [seat, seat]
    assert list(records_from_document([one, one], "envelope", "seats")) == [seat] * 4
    assert list(records_from_document([seat], "envelope", "seats")) == [seat]  # already unwrapped
    assert list(records_from_document({"total_seats": 0, "seats": []}, "envelope", "seats")) == []


def test_an_envelope_whose_records_are_not_an_array_is_refused():
    with pytest.raises(FileRejected, match="'seats' is not an array"):
        list(records_from_document({"total_seats": 1, "seats": {"assignee": {"id": 1}}}, "envelope", "seats"))
    with pytest.raises(ValueError, match="needs its records key"):
        list(records_from_document({}, "envelope"))


def test_a_json_line_is_a_record_unless_it_is_its_layouts_document():
    assert is_one_record({"a": 1}, "records")
    assert is_one_record({"Name": "s"}, "secret_list") and not is_one_record({"SecretList": []}, "secret_list")
    assert not is_one_record({"data": {"events": []}}, "okta_events") and is_one_record({"uuid": "1"}, "okta_events")
    assert not is_one_record({"seats": []}, "envelope", "seats") and is_one_record(
        {"assignee": {}}, "envelope", "seats"
    )
    assert not is_one_record({"data": []}, "openai_pages") and not is_one_record({"data": []}, "anthropic_pages")
