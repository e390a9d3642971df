"""Names for ids on the operators' pages: batched lookups, ids left as they are when unknown
or when a lookup fails."""

from __future__ import annotations

from chalicelib.jobs.dashboard import label_jobs
from chalicelib.openapi.responses import Job
from chalicelib.platform.labels import MAX_BATCH, Labels


def test_lookups_are_batched_and_blank_ids_skipped() -> None:
    calls: list[list[str]] = []

    def names(ids: list[str]) -> dict[str, str]:
        calls.append(ids)
        return {i: f"Film {i}" for i in ids if i != "gone"}

    labels = Labels(names, lambda ids: {})
    wanted = [f"t{n:03d}" for n in range(MAX_BATCH + 5)] + ["gone", None, "", "t000"]
    found = labels.titles(wanted)
    assert [len(c) for c in calls] == [MAX_BATCH, 6]  # distinct ids, at most 100 a call
    assert found["t004"] == "Film t004" and "gone" not in found


def test_a_failing_lookup_leaves_the_ids() -> None:
    def broken(ids: list[str]) -> dict[str, str]:
        raise ConnectionError("DynamoDB is away")

    assert Labels(broken, broken).any(["u1", "t1"]) == {}


def test_jobs_get_their_title_name_and_uploader_email() -> None:
    jobs = [{"title_id": "t1", "uploader": "u1"}, {"title_id": "t2", "uploader": None}]
    labels = Labels(lambda ids: {"t1": "Metropolis"}, lambda ids: {"u1": "fritz@example.com"})
    typed = [Job(**j) for j in jobs]  # type: ignore[typeddict-item]
    label_jobs(typed, labels)
    assert typed[0].get("title_name") == "Metropolis"
    assert typed[0].get("uploader_email") == "fritz@example.com"
    assert "title_name" not in typed[1] and "uploader_email" not in typed[1]
