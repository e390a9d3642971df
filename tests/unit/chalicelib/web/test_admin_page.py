"""The admin page's imports panel: no import button where TMDB is not configured, and a run
shown with its date, progress and reason."""

from __future__ import annotations

from typing import Any

from chalicelib.web.render import environment

FAILED_RUN = {"id": "r1", "source": "tmdb", "status": "FAILED", "kinds": ["movie"],
              "export_date": "2026-12-04", "limit": None, "started_at": "2026-12-05T09:14:00Z",
              "updated_at": "2026-12-05T09:15:00Z", "finished_at": "2026-12-05T09:15:30Z",
              "counts": {"to_fetch": 40, "fetched": 12, "created": 10, "updated": 2,
                         "failed": 3},
              "message": "TMDB answered 401: the API key is not valid"}


def render(**context: Any) -> str:
    base: dict[str, Any] = {"users": [], "roles": ("viewer",), "search": "", "users_next": None,
            "jobs": [], "title_names": {}, "uploader_emails": {}, "unfinished_uploads": [],
            "imports": [], "tmdb_configured": True, "user": None}
    return environment().get_template("admin.html").render(**{**base, **context})


def test_the_import_button_is_offered_only_where_tmdb_is_configured() -> None:
    assert 'id="import-form"' in render(tmdb_configured=True)
    html = render(tmdb_configured=False)
    assert 'id="import-form"' not in html
    assert "TMDB imports are not configured here" in html


def test_a_failed_run_shows_its_date_progress_and_reason() -> None:
    html = render(imports=[FAILED_RUN])
    assert "2026-12-05 09:14" in html and "2026-12-05 09:15" in html
    assert "12 of 40 fetched" in html and "10 new, 2 updated" in html and "3 failed" in html
    assert "TMDB answered 401: the API key is not valid" in html
    assert "/ ?" not in html


def test_a_user_search_without_matches_says_so() -> None:
    html = render(search="nobody-here")
    assert "No user's email or name holds “nobody-here”." in html
    assert 'value="nobody-here"' in html
