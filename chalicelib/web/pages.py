"""What each page shows: the view models behind the templates, from the domain services.

Rows that depend on Redis or Neo4j degrade to fewer items rather than failing the page.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlencode

from aws_lambda_powertools import Logger

from chalicelib.catalogue.titles.countries import country_name
from chalicelib.catalogue.titles.filters import Filters
from chalicelib.platform.digits import is_whole_number
from chalicelib.platform.errors import AppError, catalogued
from chalicelib.platform.outages import classify
from chalicelib.profiles import maturity
from chalicelib.profiles.maturity import RATINGS
from chalicelib.web.browse_choices import filter_choices

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal
    from chalicelib.auth.service import AccountService
    from chalicelib.auth.users import User, UserRepository
    from chalicelib.catalogue.importing.service import CatalogueImports
    from chalicelib.catalogue.search.service import SearchService
    from chalicelib.catalogue.titles.browse import CatalogueReader
    from chalicelib.jobs.console import JobsConsole
    from chalicelib.mylist.service import MyListService
    from chalicelib.openapi.responses import TitleCard
    from chalicelib.payments.service import PaymentsService
    from chalicelib.platform.labels import Labels
    from chalicelib.playback.service import Playback
    from chalicelib.profiles.gate import MaturityGate
    from chalicelib.ratings.service import Ratings
    from chalicelib.recommendations.recommender import Recommender
    from chalicelib.uploads.listing import UploadListing
    from chalicelib.viewing.continuing import ContinueWatching
    from chalicelib.viewing.history import ViewingHistory
    from chalicelib.viewing.resume import ResumeStore

logger = Logger(service="notflix", child=True)
ROW = 12
BROWSE_PAGE = 36
#: Whose "Best in" row a visitor from a country without a ranking sees: the country with
#: the most rated films in the demo catalogue (11,807 of 17,125).
FALLBACK_COUNTRY = "US"
#: Results a search page shows at once.
SEARCH_PAGE = 24
JOB_STATES = ("QUEUED", "PROBING", "ENCODING", "PACKAGING", "PUBLISHED", "FAILED", "CANCELLED")

#: Users listed per page of the admin console, and the longest cursor it takes.
USERS_PAGE = 50
MAX_CURSOR = 200


R = TypeVar("R")


class _Rows:
    """A page's optional parts (rows), each left out when it fails. After one meets a
    dependency outage the rest are left out at once: each would wait out the same timeouts,
    and the page should answer after one wait, not one per row."""

    def __init__(self) -> None:
        self.outage = False

    def fill(self, what: str, work: Callable[[], list[R]]) -> list[R]:
        if self.outage:
            return []
        try:
            return work()
        except Exception as exc:
            self.outage = classify(exc) is not None
            logger.warning(f"{what} row unavailable", error=type(exc).__name__)
            return []

    def one(self, what: str, work: Callable[[], R]) -> R | None:
        """One optional part that is not a row (a list's ids, a rating): None when it fails."""
        found = self.fill(what, lambda: [work()])
        return found[0] if found else None


def results_label(total: int, exact: bool) -> str:
    """ "1 result", "24 results", or "1,000+ results" when the total is a lower bound."""
    if not exact:
        return f"{total:,}+ results"
    return "1 result" if total == 1 else f"{total:,} results"


def blank_to_none(value: str | None) -> str | None:
    return value if value not in (None, "") else None


class PageServices(Protocol):
    """The services the pages read from (``chalicelib.services.Services`` is one), and no
    others: pages show what domains answer and never query a table themselves."""

    @property
    def accounts(self) -> AccountService: ...
    @property
    def catalogue(self) -> CatalogueReader: ...
    @property
    def continue_watching(self) -> ContinueWatching: ...
    @property
    def history(self) -> ViewingHistory: ...
    @property
    def imports(self) -> CatalogueImports: ...
    @property
    def jobs_console(self) -> JobsConsole: ...
    @property
    def labels(self) -> Labels: ...
    @property
    def maturity(self) -> MaturityGate: ...
    @property
    def my_list(self) -> MyListService: ...
    @property
    def payments(self) -> PaymentsService: ...
    @property
    def playback(self) -> Playback: ...
    @property
    def ratings(self) -> Ratings: ...
    @property
    def recommender(self) -> Recommender: ...
    @property
    def resume(self) -> ResumeStore: ...
    @property
    def search(self) -> SearchService: ...
    @property
    def upload_listing(self) -> UploadListing: ...
    @property
    def users(self) -> UserRepository: ...


class Pages:
    def __init__(self, services: PageServices) -> None:
        self.services = services

    def home(self, who: Principal | None, country: str) -> dict[str, Any]:
        s = self.services
        rows = _Rows()
        ceiling = who.ceiling if who is not None else None
        wide = ROW if ceiling is None else ROW * 4  # a kids profile sees part of each row

        def seen(cards: list[Any]) -> list[Any]:
            return self._seen(cards, ceiling)[:ROW]

        context: dict[str, Any] = {
            "trending": rows.fill("trending", lambda: seen(s.recommender.popular.cards(wide))),
            "recent": rows.fill("recently added", lambda: seen(self.recently_added(wide))),
            "listed": None, "my_list": [], "fewer_like": [],
        }
        context["best_title"], context["best"] = rows.one(
            "ranking", lambda: self.best_in(country)) or (
            f"Best in {country_name(country) or country}", [])
        context["best"] = seen(context["best"])
        if who is not None:
            viewer = who.viewer_id
            context["continuing"] = rows.fill(
                "continue watching", lambda: seen(s.continue_watching.titles(viewer, ROW)))
            kept = rows.one("my list", lambda: s.my_list.snapshot(viewer, ROW))
            context["my_list"] = seen(kept.cards) if kept else []
            # the card toggles need every id in the list; without it, no toggles
            context["listed"] = kept.ids if kept else None
            recommended, why = rows.one("recommendations",
                                        lambda: s.recommender.home(viewer, wide)) or ([], [])
            context["recommended"], context["fewer_like"] = seen(recommended), why
        return context

    def _seen(self, cards: list[Any], ceiling: int | None) -> list[Any]:
        """The cards a profile with this maturity ceiling may see (all without one)."""
        return cards if ceiling is None else self.services.maturity.visible(cards, ceiling)

    def best_in(self, country: str) -> tuple[str, list[TitleCard]]:
        """The "Best in" row's title and cards: the viewer's country's ranking, else (too few
        rated films there) the fallback country's, saying so in the title."""
        catalogue = self.services.catalogue
        try:
            ranking = catalogue.ranking(country, ROW)
            title = f"Best in {ranking['country_name']}"
        except AppError as exc:
            if exc.code != "no_ranking" or country == FALLBACK_COUNTRY:
                raise
            ranking = catalogue.ranking(FALLBACK_COUNTRY, ROW)
            title = (f"Best in {ranking['country_name']} (not enough rated films from "
                     f"{country_name(country) or country} yet)")
        return title, catalogue.cards([t["id"] for t in ranking["titles"]])

    def recently_added(self, limit: int = ROW) -> list[TitleCard]:
        """Titles whose streams were published most recently."""
        s = self.services
        return s.catalogue.cards(s.jobs_console.recently_published_titles(limit))

    def browse(self, kind: str | None, genre: str | None, year: str | None,
               country: str | None, cursor: str | None,
               available: str | None = None, ceiling: int | None = None) -> dict[str, Any]:
        raw = {"type": blank_to_none(kind), "genre": blank_to_none(genre),
               "year": blank_to_none(year), "country": blank_to_none(country),
               "available": blank_to_none(available)}
        filters = Filters.parse(raw["type"], raw["genre"], raw["year"], raw["country"],
                                raw["available"])
        catalogue = self.services.catalogue
        titles, after = (catalogue.browse(filters, BROWSE_PAGE, blank_to_none(cursor))
                         if ceiling is None else self.services.maturity.fill(
            lambda start: catalogue.browse(filters, BROWSE_PAGE, start), BROWSE_PAGE,
            blank_to_none(cursor), ceiling))
        shown = {k: v for k, v in raw.items() if v}
        following = f"/browse?{urlencode({**shown, 'cursor': after})}" if after else None
        return {"titles": titles, "next": following, "filters": raw,
                "available": filters.available,
                **filter_choices(catalogue.choices(), filters)}

    def search(self, q: str | None, page: str | None = None,
               ceiling: int | None = None) -> dict[str, Any]:
        query = (q or "").strip()
        if not query:
            return {"q": "", "results": []}
        number = int(page) if page and is_whole_number(page) and 0 < len(page) <= 4 else 1
        found = self.services.search.search(query, SEARCH_PAGE, max(1, number))
        following = found["next"]
        return {"q": query, "results": self._seen(found["results"], ceiling),
                "count": results_label(found["total"], found["total_exact"]),
                "did_you_mean": found["did_you_mean"], "page": found["page"],
                "next": (f"/search?{urlencode({'q': query, 'page': following})}"
                         if following else None),
                # more matches than pages reach: say so rather than end silently
                "capped": following is None and found["results"] != []
                and found["total"] > (found["page"] - 1) * SEARCH_PAGE + len(found["results"])}

    def title(self, who: Principal | None, title_id: str, season: str | None
              ) -> dict[str, Any]:
        s = self.services
        user = who.user if who is not None else None
        ceiling = who.ceiling if who is not None else None
        model = s.catalogue.title(title_id)
        maturity.check(model.maturity_rating, ceiling)
        title = s.catalogue.describe(model)
        people = title.get("people") or []
        context: dict[str, Any] = {
            "title": title,
            "directors": [p["name"] for p in people if p.get("role") == "director"][:3],
            "cast": [p["name"] for p in sorted((p for p in people if p.get("role") == "actor"),
                                               key=lambda p: int(p.get("order") or 0))][:8],
            "seasons": title.get("seasons") or [],
            "similar": _Rows().fill("similar", lambda: self._seen(
                s.recommender.similar_to(title, ROW)["results"], ceiling)),
            "resume_s": 0.0, "season": None, "ratings": RATINGS,
            "can_watch": bool(user is not None and title.get("playable")
                              and s.payments.can_watch(user.id)),
        }
        if context["seasons"]:
            numbers = [int(x["number"]) for x in context["seasons"]]
            if season and not (is_whole_number(season) and int(season) in numbers):
                raise catalogued("season_not_found", season=season[:12])  # never another one
            wanted = int(season) if season else next((n for n in numbers if n > 0), numbers[0])
            context["season"] = s.catalogue.season(title["id"], wanted, model)
        if who is not None:
            try:
                point = s.resume.get(who.viewer_id, title["id"])
                context["resume_s"] = point["resume_s"] if point else 0.0
            except Exception as exc:  # Redis down: no resume button
                logger.warning("resume point unavailable", error=type(exc).__name__)
        context.update(self.picks(who, title["id"]))
        return context

    def listed(self, who: Principal | None) -> frozenset[str] | None:
        """Every id in the viewer's My List, for the cards' toggles (None: no toggles)."""
        if who is None:
            return None
        return self._listed(who, _Rows())

    def _listed(self, who: Principal, rows: _Rows) -> frozenset[str] | None:
        return rows.one("my list", lambda: self.services.my_list.ids(who.viewer_id))

    def picks(self, who: Principal | None, title_id: str) -> dict[str, Any]:
        """The viewer's own picks for a title's page and the player: every id in My List
        (``listed``, None when unknown: no toggles) and the viewer's thumb (imported ratings
        read as thumbs too)."""
        if who is None:
            return {"listed": None, "thumb": None}
        rows = _Rows()
        rated = rows.one("rating", lambda: self.services.ratings.get(who.viewer_id, title_id))
        return {"listed": self._listed(who, rows), "thumb": rated["thumb"] if rated else None}

    def watch(self, who: Principal, title_id: str, episode: str | None) -> dict[str, Any]:
        """The player: what to play, for a film the titles its end card offers, and the
        viewer's picks (My List, thumbs) for its buttons."""
        s = self.services
        play = s.playback.play(who.viewer_id, title_id, episode, account_id=who.user.id,
                               ceiling=who.ceiling)
        # the end card's similar titles are fetched by the player once the video plays: the
        # graph's answer is kept off the way to the first frame
        return {"play": play, **self.picks(who, play["title"]["id"])}

    def account(self, user: User) -> dict[str, Any]:
        s = self.services
        payments, _ = s.payments.payments(user.id, None, 10)
        return {"subscription": s.payments.status(user.id),
                "payments": [p.public() for p in payments],
                "logins": [e.public() for e in s.accounts.login_history(user)][:10]}

    def plans(self, user: User | None) -> dict[str, Any]:
        s = self.services
        plans = [p.public() for p in s.payments.all_plans()]
        subscription = s.payments.status(user.id) if user else None
        ours = next((p for p in plans if subscription and p["key"] == subscription["plan"]),
                    None)
        return {"plans": plans, "subscription": subscription,
                "current_price": Decimal(ours["price"]) if ours else None}

    def history(self, who: Principal, cursor: str | None) -> dict[str, Any]:
        found = self.services.history.page(who.viewer_id, 30, blank_to_none(cursor))
        return {**found, "history": self._seen(found["history"], who.ceiling)}

    def admin(self, search: str | None = None, after: str | None = None,
              tmdb_configured: bool = True) -> dict[str, Any]:
        from chalicelib.auth.users import ROLES

        s = self.services
        wanted = (search or "").strip()[:100]
        # a cursor is a user id this page gave out; anything longer is no cursor (DynamoDB
        # refuses keys over 2 KB, and pages' query hints are not checked centrally)
        start = after if after and len(after) <= MAX_CURSOR else None
        users, more = (s.users.search(wanted, limit=USERS_PAGE, after=start) if wanted
                       else s.users.list(limit=USERS_PAGE, after=start))
        rows = _Rows()
        jobs = s.jobs_console.latest(JOB_STATES, per_state=10, limit=30)
        return {"users": [u.public() for u in users], "roles": ROLES, "search": wanted,
                "users_next": (f"/admin?{urlencode({'q': wanted, 'after': more})}#users"
                               if more else None),
                "imports": rows.fill("imports", s.imports.recent),
                "tmdb_configured": tmdb_configured,
                "jobs": jobs,
                "title_names": s.labels.titles(j.title_id for j in jobs),
                "uploader_emails": s.labels.users(j.uploader for j in jobs),
                "unfinished_uploads": rows.fill("unfinished uploads",
                                                lambda: s.upload_listing.unfinished(50))}
