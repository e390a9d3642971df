"""The admin console's user search (in process): by a part of the email or the name, by a
whole email, a page at a time within a read budget, with a cursor that skips nobody."""

from __future__ import annotations

from chalicelib.services import Services
from localcloud.isolation import unique

PASSWORD_HASH = "$argon2id$v=19$m=65536,t=2,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def make_users(services: Services, tag: str, names: list[str]) -> list[str]:
    return [services.users.create(f"{tag}-{n}@example.com".lower(), name, PASSWORD_HASH).id
            for n, name in enumerate(names)]


def test_a_part_of_the_email_or_the_name_finds_the_user(in_process: Services) -> None:
    tag = unique("find")
    ids = make_users(in_process, tag, ["Grace Hopper", "Alan Turing"])
    by_email, _ = in_process.users.search(tag, limit=50)
    assert sorted(u.id for u in by_email) == sorted(ids)
    # a name in any case finds it ("alan turing" finds "Alan Turing"), and only it
    turing = [u.id for u in in_process.users.search("alan turing", limit=500)[0]]
    assert ids[1] in turing and ids[0] not in turing
    hopper = [u.id for u in in_process.users.search("hopper", limit=500)[0]]
    assert ids[0] in hopper and ids[1] not in hopper  # "hopper" finds "Grace Hopper"


def test_a_whole_email_is_looked_up_directly(in_process: Services) -> None:
    tag = unique("exact")
    (user_id,) = make_users(in_process, tag, ["Exact Match"])
    found, more = in_process.users.search(f"{tag}-0@EXAMPLE.com")
    assert [u.id for u in found] == [user_id] and more is None
    assert in_process.users.search(f"{tag}-9@example.com") == ([], None)


def test_pages_within_the_read_budget_cover_every_match_once(in_process: Services) -> None:
    tag = unique("page")
    ids = make_users(in_process, tag, [f"Paged {n}" for n in range(7)])
    seen: list[str] = []
    after: str | None = None
    for _ in range(200):  # a small budget: many short pages, none skipping a user
        found, after = in_process.users.search(tag, limit=2, after=after, budget=3)
        seen += [u.id for u in found]
        if after is None:
            break
    assert sorted(seen) == sorted(ids)


def test_labels_name_titles_and_users_and_leave_unknown_ids(in_process: Services) -> None:
    from tests.unit.chalicelib.catalogue_titles import film

    tag = unique("label")
    (user_id,) = make_users(in_process, tag, ["Labelled User"])
    title_id = film(in_process, name="Labelled Film")
    labels = in_process.labels
    assert labels.users([user_id, "nobody"]) == {user_id: f"{tag}-0@example.com"}
    assert labels.titles([title_id, "no-title"]) == {title_id: "Labelled Film"}
    assert labels.any([user_id, title_id, "30 days"]) == {
        user_id: f"{tag}-0@example.com", title_id: "Labelled Film"}
