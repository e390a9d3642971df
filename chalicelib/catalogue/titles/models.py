"""DynamoDB tables of the catalogue domain.

Access patterns, each served by a key or an index (never a scan on a request path):
- a title by id: ``titles`` hash key;
- a title by IMDb id / by normalised name and year: GSIs ``by-imdb`` / ``by-name-year``;
- many titles by IMDb id or name and year at once (a user's IMDb list): ``title-match-keys``,
  one item per key holding the ids of the titles that carry it, read 100 keys a call;
- browse by type, genre, year or country, most popular first: ``title-facets``, one item per
  (facet, title) with the card's fields, so a page is one query;
- a season's episodes in order: ``title-episodes`` (hash series id, range season#episode);
- best films of a country: ``rankings`` (precomputed);
- a user's watched and rated titles: ``user-titles``.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


def str_list(value: Any) -> list[str]:
    """A ListAttribute of strings as the plain list it holds at run time."""
    return [str(v) for v in value or ()]


class ByImdb(GlobalSecondaryIndex["TitleModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-imdb"
        projection = AllProjection()

    imdb_id = UnicodeAttribute(hash_key=True)


class ByNameYear(GlobalSecondaryIndex["TitleModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-name-year"
        projection = AllProjection()

    name_key = UnicodeAttribute(hash_key=True)


class TitleModel(Model):
    class Meta:
        table_name = "titles"

    id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # film | series
    source = UnicodeAttribute()  # tmdb | wikidata | generated | upload
    name = UnicodeAttribute()
    original_name = UnicodeAttribute(default="")
    #: normalised name#year, for matching lists exported from elsewhere.
    name_key = UnicodeAttribute()
    year = NumberAttribute(null=True)
    overview = UnicodeAttribute(default="")
    genres = ListAttribute(of=UnicodeAttribute, default=list)
    countries = ListAttribute(of=UnicodeAttribute, default=list)
    #: [{name, role, character, order, tmdb_id}], the record's people.
    people = JSONAttribute(default=list)
    #: [{number, name, air_date, episode_count}]; episodes live in title-episodes.
    seasons = JSONAttribute(default=list)
    runtime = NumberAttribute(null=True)
    rating = NumberAttribute(null=True)
    votes = NumberAttribute(default=0)
    popularity = NumberAttribute(default=0)
    poster_path = UnicodeAttribute(null=True)
    tmdb_id = NumberAttribute(null=True)
    imdb_id = UnicodeAttribute(null=True)
    #: Spoken languages by English name, main one first.
    languages = ListAttribute(of=UnicodeAttribute, default=list)
    #: The source's maturity rating; an admin's (kept across re-imports) overrides it.
    maturity = UnicodeAttribute(null=True)
    admin_maturity = UnicodeAttribute(null=True)
    #: The encoded stream, set by the encoder when a title becomes playable.
    asset = JSONAttribute(null=True)
    #: Hash of the record it was written from: an unchanged record is not written again.
    content_hash = UnicodeAttribute()
    fetched_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    @property
    def maturity_rating(self) -> str | None:
        """The rating in effect: an admin's, else the source's (None: unrated)."""
        return self.admin_maturity or self.maturity
    by_imdb = ByImdb()
    by_name_year = ByNameYear()


class EpisodeModel(Model):
    class Meta:
        table_name = "title-episodes"

    series_id = UnicodeAttribute(hash_key=True)
    episode_key = UnicodeAttribute(range_key=True)  # <season:04d>#<episode:04d>
    season = NumberAttribute()
    number = NumberAttribute()
    name = UnicodeAttribute()
    overview = UnicodeAttribute(default="")
    runtime = NumberAttribute(null=True)
    air_date = UnicodeAttribute(null=True)
    asset = JSONAttribute(null=True)
    #: The intro and the credits found in the season's audio (``segments.season_segments``):
    #: ``[{"kind": "intro" | "credits", "start_s", "end_s"}]``.
    segments = JSONAttribute(null=True)


class FacetModel(Model):
    class Meta:
        table_name = "title-facets"

    #: `all`, `type#film`, `genre#drama`, `year#1999` or `country#FR`.
    facet = UnicodeAttribute(hash_key=True)
    #: `<popularity rank key>#<title id>`: ascending order is most popular first.
    rank = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    year = NumberAttribute(null=True)
    genres = ListAttribute(of=UnicodeAttribute, default=list)
    countries = ListAttribute(of=UnicodeAttribute, default=list)
    rating = NumberAttribute(null=True)
    votes = NumberAttribute(default=0)
    popularity = NumberAttribute(default=0)
    poster_path = UnicodeAttribute(null=True)
    imdb_id = UnicodeAttribute(null=True)
    playable = BooleanAttribute(default=False)
    #: The title's source: which scale its rating and votes are on (rankings).
    source = UnicodeAttribute(null=True)


class RankingModel(Model):
    class Meta:
        table_name = "rankings"

    country = UnicodeAttribute(hash_key=True)
    #: [{id, imdb_id, name, year, rating, votes, weighted_rating}], best first.
    entries = JSONAttribute(default=list)
    min_votes = NumberAttribute()
    mean = NumberAttribute()
    #: `critics` or `audience`: what the ratings and votes are (see catalogue.rankings).
    scale = UnicodeAttribute(null=True)
    computed_at = UnicodeAttribute()


class MatchKeyModel(Model):
    """The titles carrying one match key (`imdb#tt0111161` or `name#<name_key>`).

    Derived from titles by the catalogue writer with ADD / DELETE on the set, so concurrent
    writers never lose each other's ids; a reader checks each title still carries the key.
    """

    class Meta:
        table_name = "title-match-keys"

    key = UnicodeAttribute(hash_key=True)
    title_ids = UnicodeSetAttribute(null=True)


class UserTitleModel(Model):
    class Meta:
        table_name = "user-titles"

    user_id = UnicodeAttribute(hash_key=True)
    title_id = UnicodeAttribute(range_key=True)
    watched = BooleanAttribute(default=False)
    watched_at = UnicodeAttribute(null=True)
    rating = NumberAttribute(null=True)  # the user's own 1..10
    rated_at = UnicodeAttribute(null=True)
    source = UnicodeAttribute()  # imdb-import, player, ...
    updated_at = UnicodeAttribute()
    #: Viewing (the player's progress posts): plays counted once per play id.
    play_count = NumberAttribute(null=True)
    last_play_id = UnicodeAttribute(null=True)
    completed_play_id = UnicodeAttribute(null=True)
    position_s = NumberAttribute(null=True)
    duration_s = NumberAttribute(null=True)
    progress = NumberAttribute(null=True)  # 0..1
    last_at = UnicodeAttribute(null=True)
    #: Follow-ups (history, trending, graph) of a counted play or completion not yet done:
    #: set by the write that counts it, removed once they are; a retried post redoes them.
    pending_play_id = UnicodeAttribute(null=True)
    pending_started_at = UnicodeAttribute(null=True)
    pending_finished_at = UnicodeAttribute(null=True)


CATALOGUE_MODELS: dict[type[Model], str] = {
    TitleModel: "titles", EpisodeModel: "title-episodes", FacetModel: "title-facets",
    RankingModel: "rankings", UserTitleModel: "user-titles",
    MatchKeyModel: "title-match-keys"}
