"""Turn a user's IMDb export into catalogue titles they watched and rated.

Each row is matched by IMDb id, else by normalised title and year (the most popular title
when several share both). Matched titles are recorded for the user as watched, with their
personal rating; importing the same file twice leaves the same records.

Cost: every row's keys are looked up together (:mod:`chalicelib.catalogue.titles.match_keys`), so a
list of N rows costs about 2N/100 + N/100 batched reads, whatever the rows hold, and one
UpdateItem per matched title (``WRITERS`` at a time: an update, not a whole-item write, so
the viewer's plays and newer thumbs stay); the parser refuses a list of more than
``imdb_csv.MAX_ROWS`` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.catalogue.importing.imdb_csv import ImdbRow
from chalicelib.catalogue.titles.match_keys import imdb_key, name_key, titles_by_key
from chalicelib.catalogue.titles.models import (
    TitleModel,
    UserTitleModel,
    str_list,
)
from chalicelib.catalogue.titles.text import title_year_key
from chalicelib.catalogue.titles.user_titles import user_title_base
from chalicelib.openapi.responses import ImdbImport, ImdbMatch, ImdbUnmatched
from chalicelib.platform.clock import iso
from chalicelib.platform.logs import logger

#: Items written side by side by one import.
WRITERS = 8


@dataclass(frozen=True)
class Match:
    row: ImdbRow
    title: TitleModel | None


def _best(candidates: list[TitleModel]) -> TitleModel | None:
    return max(candidates, key=lambda t: (float(t.popularity or 0), t.id), default=None)


def _name_key(row: ImdbRow) -> str | None:
    return name_key(title_year_key(row.title, row.year)) if row.year is not None else None


def find_all(rows: Sequence[ImdbRow]) -> list[TitleModel | None]:
    """Each row's title: by IMDb id, else by name and year; None when neither matches."""
    keys = {imdb_key(r.imdb_id) for r in rows} | {k for r in rows if (k := _name_key(r))}
    found = titles_by_key(keys)

    def best(row: ImdbRow) -> TitleModel | None:
        by_id = found.get(imdb_key(row.imdb_id))
        if by_id:
            return _best(by_id)
        key = _name_key(row)
        return _best(found.get(key, [])) if key else None

    return [best(row) for row in rows]


class ImdbImporter:
    def __init__(self, on_recorded: Callable[[str, list[Match]], None] | None = None) -> None:
        #: Told about each user's matched rows once recorded (the recommendation graph, the
        #: cached recommendations).
        self.on_recorded = on_recorded

    def match(self, rows: Sequence[ImdbRow]) -> list[Match]:
        return [Match(row, title) for row, title in zip(rows, find_all(rows), strict=True)]

    def record(self, user_id: str, matches: Sequence[Match]) -> None:
        """Each matched title watched, and rated where the row has a rating, without
        touching what the viewer did here (plays, positions; a thumb newer than the row)."""
        now = iso()
        latest = {m.title.id: m for m in matches if m.title is not None}  # one write a title
        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(lambda item: _record(user_id, item[0], item[1].row, now),
                          latest.items()))

    def run(self, user_id: str, rows: Sequence[ImdbRow]) -> ImdbImport:
        matches = self.match(rows)
        self.record(user_id, matches)
        if self.on_recorded is not None:
            try:
                self.on_recorded(user_id, [m for m in matches if m.title is not None])
            except Exception as exc:  # the records stand; recommendations catch up later
                logger.warning("imported list not passed on", error=type(exc).__name__)
        matched = [_matched(m.row, m.title) for m in matches if m.title is not None]
        unmatched: list[ImdbUnmatched] = [
            {"name": m.row.title, "year": m.row.year, "imdb_id": m.row.imdb_id}
            for m in matches if m.title is None]
        return {"matched": matched, "unmatched": unmatched,
                "counts": {"rows": len(rows), "matched": len(matched),
                           "unmatched": len(unmatched)}}


def _record(user_id: str, title_id: str, row: ImdbRow, now: str) -> None:
    """One title's item updated in place (an IMDb list is history from elsewhere: it must
    not replace the plays, positions or a newer thumb recorded here)."""
    at = f"{row.date_rated}T00:00:00.000Z" if row.date_rated else now
    item = UserTitleModel(user_id, title_id)
    watched: list[Action] = [*user_title_base("imdb-import", now, watched=True),
                             UserTitleModel.watched_at.set(UserTitleModel.watched_at | at)]
    if row.personal_rating is None:
        item.update(actions=watched)
        return
    try:  # the row's rating, unless the viewer rated the title here later
        item.update(actions=[*watched, UserTitleModel.rating.set(row.personal_rating),
                             UserTitleModel.rated_at.set(at)],
                    condition=(UserTitleModel.rated_at.does_not_exist()
                               | (UserTitleModel.rated_at <= at)))
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        item.update(actions=watched)


def _matched(row: ImdbRow, title: TitleModel) -> ImdbMatch:
    countries = str_list(title.countries)
    return {"countrycode": countries[0] if countries else None, "name": title.name,
            "year": int(title.year) if title.year is not None else None,
            "imdb_id": title.imdb_id or row.imdb_id, "id": title.id,
            "personal_rating": row.personal_rating,
            "rating": float(title.rating) if title.rating is not None else None}
