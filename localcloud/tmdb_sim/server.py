"""The local TMDB server: movie, series and season details, and the daily ID exports.

Answers follow TMDB's v3 documentation: `/3/movie/{id}`, `/3/tv/{id}` and
`/3/tv/{id}/season/{n}` with `append_to_response` (`credits`, `external_ids`, `season/N`; at
most 20 items are honoured, as on TMDB), errors as `{"success": false, "status_code": ..,
"status_message": ..}`, and `/p/exports/{movie_ids|tv_series_ids}_MM_DD_YYYY.json.gz`.
Titles come from the test (`make_movie`, `make_series`); `script` makes a path answer given
statuses first (429 with `Retry-After`, 5xx, ...); `requests` logs what arrived and when.
`/_control/*` endpoints offer the same knobs over HTTP when the server runs on its own.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from localcloud.loopback_server import LoopbackServer

ExportKind = Literal["movie", "tv"]

#: TMDB honours at most this many `append_to_response` items.
MAX_APPENDED = 20

ERRORS: dict[int, tuple[int, str]] = {
    401: (7, "Invalid API key: You must be granted a valid key."),
    404: (34, "The resource you requested could not be found."),
    429: (25, "Your request count (#) is over the allowed limit of (40)."),
    500: (11, "Internal error: Something went wrong, contact TMDB."),
    501: (2, "Invalid service: this service does not exist."),
    503: (9, "Service offline: This service is temporarily offline, try again later."),
    504: (24, "Your request to the backend server timed out. Try again."),
}
_GENRE_IDS = {"Action": 28, "Adventure": 12, "Animation": 16, "Comedy": 35, "Crime": 80,
              "Documentary": 99, "Drama": 18, "Family": 10751, "Fantasy": 14, "History": 36,
              "Horror": 27, "Music": 10402, "Mystery": 9648, "Romance": 10749,
              "Science Fiction": 878, "Thriller": 53, "War": 10752, "Western": 37,
              "Action & Adventure": 10759, "Sci-Fi & Fantasy": 10765, "Kids": 10762}
_FIRST = ("Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
          "Kemal", "Lena", "Marco", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tamar")
_LAST = ("Albers", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvat",
         "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov")
_WORDS = ("Silent", "River", "Glass", "Empire", "Winter", "Shadow", "Harbour", "Last", "Signal",
          "Garden", "Iron", "Echo", "Paper", "North", "Stone", "Light")
_ROUTE = re.compile(r"/3/(movie|tv)/(\d+)(?:/season/(\d+))?")
_EXPORT_NAME = re.compile(r"(movie_ids|tv_series_ids)_\d{2}_\d{2}_\d{4}\.json\.gz")


# -- payloads ----------------------------------------------------------------------------------
def _rng(kind: str, tmdb_id: int) -> random.Random:
    return random.Random(f"{kind}-{tmdb_id}")


def _title(rng: random.Random) -> str:
    return " ".join(rng.sample(_WORDS, 2))


def _person(rng: random.Random, department: str) -> dict[str, Any]:
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    return {"adult": False, "gender": rng.choice((0, 1, 2)), "id": rng.randrange(1, 5_000_000),
            "known_for_department": department, "name": name, "original_name": name,
            "popularity": round(rng.uniform(0.5, 40), 3),
            "profile_path": f"/{rng.randrange(16**10):010x}.jpg",
            "credit_id": f"{rng.randrange(16**24):024x}"}


def _credits(rng: random.Random, tmdb_id: int, cast: int, crew: Sequence[tuple[str, str]],
             ) -> dict[str, Any]:
    actors = [{**_person(rng, "Acting"), "cast_id": i + 1, "character": f"Character {i + 1}",
               "order": i} for i in range(cast)]
    rng.shuffle(actors)  # TMDB does not promise billing order in the list
    crew_entries = [{**_person(rng, dept), "department": dept, "job": job} for dept, job in crew]
    return {"id": tmdb_id, "cast": actors, "crew": crew_entries}


def _genres(names: Iterable[str]) -> list[dict[str, Any]]:
    return [{"id": _GENRE_IDS.get(n, 90000 + len(n)), "name": n} for n in names]


def _countries(codes: Iterable[str]) -> list[dict[str, str]]:
    return [{"iso_3166_1": c, "name": c} for c in codes]


def _imdb(tmdb_id: int, imdb_id: str | None) -> str | None:
    return f"tt{tmdb_id:07d}" if imdb_id == "" else imdb_id


def make_movie(tmdb_id: int, *, title: str | None = None, year: int | None = 2001,
               countries: Sequence[str] = ("US",), genres: Sequence[str] = ("Drama",),
               vote_average: float = 7.1, vote_count: int = 1234, popularity: float = 12.5,
               imdb_id: str | None = "", runtime: int | None = 110, cast: int = 20,
               adult: bool = False, video: bool = False) -> dict[str, Any]:
    """A movie's details with `credits` and `external_ids` appended, as TMDB answers them.

    `imdb_id=""` derives `tt{id:07d}`; None sends null. `year=None` sends `release_date: ""`.
    """
    rng = _rng("movie", tmdb_id)
    name = title or _title(rng)
    imdb = _imdb(tmdb_id, imdb_id)
    release = f"{year:04d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}" if year else ""
    return {
        "adult": adult, "backdrop_path": f"/b{tmdb_id}.jpg", "belongs_to_collection": None,
        "budget": rng.randrange(0, 200) * 1_000_000, "genres": _genres(genres),
        "homepage": "", "id": tmdb_id, "imdb_id": imdb, "origin_country": list(countries),
        "original_language": "en", "original_title": name,
        "overview": f"{name}: a story told in {rng.randrange(2, 9)} acts.",
        "popularity": popularity, "poster_path": f"/p{tmdb_id}.jpg",
        "production_companies": [{"id": rng.randrange(1, 100_000), "logo_path": None,
                                  "name": f"{rng.choice(_WORDS)} Pictures",
                                  "origin_country": countries[0] if countries else ""}],
        "production_countries": _countries(countries), "release_date": release,
        "revenue": rng.randrange(0, 900) * 1_000_000, "runtime": runtime,
        "spoken_languages": [{"english_name": "English", "iso_639_1": "en", "name": "English"}],
        "status": "Released", "tagline": "", "title": name, "video": video,
        "vote_average": vote_average, "vote_count": vote_count,
        "credits": _credits(rng, tmdb_id, cast, [("Directing", "Director"),
                                                 ("Writing", "Screenplay"),
                                                 ("Writing", "Novel"), ("Sound", "Composer"),
                                                 ("Production", "Producer")]),
        "external_ids": {"id": tmdb_id, "imdb_id": imdb, "wikidata_id": None,
                         "facebook_id": None, "instagram_id": None, "twitter_id": None},
    }


def _episode(rng: random.Random, show_id: int, season: int, number: int, aired: date,
             runtime: int | None) -> dict[str, Any]:
    return {"air_date": aired.isoformat(), "episode_number": number,
            "episode_type": "standard", "id": rng.randrange(1, 9_000_000),
            "name": f"Episode {number}: {_title(rng)}", "overview": f"Part {number}.",
            "production_code": "", "runtime": runtime, "season_number": season,
            "show_id": show_id, "still_path": None, "vote_average": 0.0, "vote_count": 0,
            "crew": [], "guest_stars": []}


def make_series(tmdb_id: int, *, name: str | None = None, year: int | None = 2015,
                countries: Sequence[str] = ("GB",), genres: Sequence[str] = ("Drama",),
                seasons: int = 2, episodes: int | Sequence[int] = 6, specials: int = 0,
                vote_average: float = 8.0, vote_count: int = 321, popularity: float = 30.5,
                imdb_id: str | None = "", episode_run_time: Sequence[int] = (45,),
                cast: int = 12) -> dict[str, Any]:
    """A series' details with `credits`, `external_ids` and each `seasons[*].episodes`.

    That is what `TmdbClient.series` returns; the server serves the episodes as
    `/3/tv/{id}/season/{n}` (and `season/N` appends) and strips them from `/3/tv/{id}`.
    `episodes` is a count for every season or one count per season; `specials` > 0 adds a
    season 0.
    """
    rng = _rng("tv", tmdb_id)
    title = name or _title(rng)
    imdb = _imdb(tmdb_id, imdb_id)
    counts = [episodes] * seasons if isinstance(episodes, int) else list(episodes)
    if len(counts) != seasons:
        raise ValueError("give one episode count per season")
    start = date(year or 2015, 1, 1) + timedelta(days=rng.randrange(300))
    runtime = episode_run_time[0] if episode_run_time else None
    season_list = []
    for number, count in ([(0, specials)] if specials else []) + list(
            enumerate(counts, start=1)):
        aired = start + timedelta(days=365 * max(number - 1, 0))
        season_list.append({
            "air_date": aired.isoformat() if year else None, "episode_count": count,
            "id": tmdb_id * 1000 + number, "name": f"Season {number}" if number else "Specials",
            "overview": "", "poster_path": f"/s{tmdb_id}-{number}.jpg",
            "season_number": number, "vote_average": 0.0,
            "episodes": [_episode(rng, tmdb_id, number, e, aired + timedelta(days=7 * (e - 1)),
                                  runtime) for e in range(1, count + 1)]})
    return {
        "adult": False, "backdrop_path": f"/b{tmdb_id}.jpg",
        "created_by": [{k: v for k, v in _person(rng, "Writing").items()
                        if k in {"id", "credit_id", "name", "original_name", "gender",
                                 "profile_path"}}],
        "episode_run_time": list(episode_run_time),
        "first_air_date": start.isoformat() if year else "", "genres": _genres(genres),
        "homepage": "", "id": tmdb_id, "in_production": False, "languages": ["en"],
        "last_air_date": None, "last_episode_to_air": None, "name": title,
        "next_episode_to_air": None, "networks": [],
        "number_of_episodes": sum(counts), "number_of_seasons": seasons,
        "origin_country": list(countries), "original_language": "en", "original_name": title,
        "overview": f"{title}, in {seasons} seasons.", "popularity": popularity,
        "poster_path": f"/p{tmdb_id}.jpg", "production_companies": [],
        "production_countries": _countries(countries), "seasons": season_list,
        "spoken_languages": [], "status": "Ended", "tagline": "", "type": "Scripted",
        "vote_average": vote_average, "vote_count": vote_count,
        "credits": _credits(rng, tmdb_id, cast, [("Directing", "Director"),
                                                 ("Writing", "Writer")]),
        "external_ids": {"id": tmdb_id, "imdb_id": imdb, "freebase_mid": None,
                         "freebase_id": None, "tvdb_id": None, "tvrage_id": None,
                         "wikidata_id": None, "facebook_id": None, "instagram_id": None,
                         "twitter_id": None},
    }


def export_file_name(kind: ExportKind, day: date) -> str:
    prefix = "movie_ids" if kind == "movie" else "tv_series_ids"
    return f"{prefix}_{day:%m_%d_%Y}.json.gz"


def error_body(status: int) -> dict[str, Any]:
    code, message = ERRORS.get(status, (15, "Failed."))
    return {"success": False, "status_code": code, "status_message": message}


# -- the server --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scripted:
    """One scripted answer; 200 means "answer normally"."""

    status: int
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    time: float  # time.monotonic() on arrival

    @property
    def appended(self) -> list[str]:
        raw = self.query.get("append_to_response", "")
        return [item for item in raw.split(",") if item]


class FakeTmdb(LoopbackServer):
    thread_name = "local-tmdb"

    """A threaded TMDB on 127.0.0.1; `with FakeTmdb(api_key=...) as tmdb:` picks a free port."""

    def __init__(self, *, api_key: str = "", bearer_token: str = "", port: int = 0) -> None:
        super().__init__(port)
        self.api_key = api_key
        self.bearer_token = bearer_token
        self.movies: dict[int, dict[str, Any]] = {}
        self.series: dict[int, dict[str, Any]] = {}
        self.exports: dict[str, bytes] = {}
        self.scripts: dict[str, list[Scripted]] = {}
        self.requests: list[LoggedRequest] = []
        self.lock = threading.Lock()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/3"

    @property
    def export_url(self) -> str:
        return f"{self.base_url}/p/exports"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # -- knobs ---------------------------------------------------------------------------------
    def add(self, *payloads: dict[str, Any]) -> None:
        """Titles from `make_movie` / `make_series` (series are told apart by `seasons`)."""
        with self.lock:
            for payload in payloads:
                target = self.series if "seasons" in payload else self.movies
                target[int(payload["id"])] = payload

    def script(self, path: str, responses: Sequence[int | Scripted], *,
               retry_after: str | None = "1") -> None:
        """Answer the next requests for `path` with `responses` in turn (200: normally).

        A bare 429 carries `Retry-After: retry_after` (None: no header); other bare statuses
        carry TMDB's error body for that status.
        """
        scripted = []
        for item in responses:
            if isinstance(item, Scripted):
                scripted.append(item)
            elif item == 429 and retry_after is not None:
                scripted.append(Scripted(429, headers={"Retry-After": retry_after}))
            else:
                scripted.append(Scripted(item))
        with self.lock:
            self.scripts[path] = scripted

    def publish_export(self, kind: ExportKind, day: date,
                       lines: Sequence[bytes] | None = None) -> str:
        """Publish the day's export: `lines` as given, or built from the titles added so far."""
        if lines is None:
            with self.lock:
                titles = list(self.movies.values() if kind == "movie" else self.series.values())
            lines = [json.dumps(_export_entry(kind, t), separators=(",", ":")).encode()
                     for t in titles]
        name = export_file_name(kind, day)
        data = gzip.compress(b"".join(line + b"\n" for line in lines), compresslevel=6)
        with self.lock:
            self.exports[name] = data
        return name

    def requests_for(self, path: str) -> list[LoggedRequest]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def reset(self) -> None:
        with self.lock:
            self.movies.clear()
            self.series.clear()
            self.exports.clear()
            self.scripts.clear()
            self.requests.clear()

    # -- answers -------------------------------------------------------------------------------
    def authorised(self, query: dict[str, str], headers: dict[str, str]) -> bool:
        if self.api_key and query.get("api_key") == self.api_key:
            return True
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return bool(self.bearer_token) and scheme == "Bearer" and token == self.bearer_token

    def next_scripted(self, path: str) -> Scripted | None:
        with self.lock:
            queue = self.scripts.get(path)
            return queue.pop(0) if queue else None

    def details(self, kind: str, tmdb_id: int, season: int | None,
                appended: list[str]) -> dict[str, Any] | None:
        with self.lock:
            title = (self.movies if kind == "movie" else self.series).get(tmdb_id)
        if title is None:
            return None
        if season is not None:
            return _season_details(title, season) if kind == "tv" else None
        body = {k: v for k, v in title.items() if k not in {"credits", "external_ids"}}
        if kind == "tv":
            body["seasons"] = [{k: v for k, v in s.items() if k != "episodes"}
                               for s in title["seasons"]]
        for item in appended[:MAX_APPENDED]:
            if item in {"credits", "external_ids"}:
                body[item] = title[item]
            elif kind == "tv" and item.startswith("season/") and item[7:].isdigit():
                found = _season_details(title, int(item[7:]))
                if found is not None:
                    body[item] = found
        return body


def _export_entry(kind: ExportKind, title: dict[str, Any]) -> dict[str, Any]:
    if kind == "movie":
        return {"adult": title.get("adult", False), "id": title["id"],
                "original_title": title.get("original_title"),
                "popularity": title.get("popularity", 0.0), "video": title.get("video", False)}
    return {"id": title["id"], "original_name": title.get("original_name"),
            "popularity": title.get("popularity", 0.0)}


def _season_details(series: dict[str, Any], number: int) -> dict[str, Any] | None:
    for season in series.get("seasons") or []:
        if season.get("season_number") == number:
            return {"_id": f"{series['id']:012x}{number:012x}", "air_date": season["air_date"],
                    "episodes": season.get("episodes") or [], "name": season["name"],
                    "overview": season.get("overview", ""), "id": season["id"],
                    "poster_path": season.get("poster_path"), "season_number": number,
                    "vote_average": season.get("vote_average", 0.0)}
    return None


def _handler_for(tmdb: FakeTmdb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "openresty"
        #: (path, query, arrival) of the GET being answered; control requests are not logged.
        logged: tuple[str, dict[str, str], float] | None = None

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any] | str | bytes | None = None,
                  headers: dict[str, str] | None = None) -> None:
            if isinstance(body, dict):
                raw = json.dumps(body).encode()
                content_type = "application/json;charset=utf-8"
            else:
                raw = body.encode() if isinstance(body, str) else body or b""
                content_type = "application/octet-stream"
            if self.logged is not None:  # logged before answering, so tests never race it
                path, query, at = self.logged
                self.logged = None
                self._record(path, query, status, at)
            self.send_response(status)
            for name, value in {"Content-Type": content_type, **(headers or {}),
                                "Content-Length": str(len(raw))}.items():
                self.send_header(name, value)
            self.end_headers()
            chunk = 1 << 16
            for start in range(0, len(raw), chunk):
                self.wfile.write(raw[start:start + chunk])

        def _record(self, path: str, query: dict[str, str], status: int, at: float) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            with tmdb.lock:
                tmdb.requests.append(LoggedRequest(self.command, path, query, headers, status,
                                                   at))

        def do_GET(self) -> None:
            at = time.monotonic()
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            self.logged = None
            if parts.path == "/_control/requests":
                with tmdb.lock:
                    logged = [{"path": r.path, "status": r.status, "time": r.time,
                               "appended": r.appended} for r in tmdb.requests]
                self._send(200, {"requests": logged})
                return
            self.logged = (parts.path, query, at)
            self._answer(parts.path, query)

        def _answer(self, path: str, query: dict[str, str]) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            if path.startswith("/3/") and not tmdb.authorised(query, headers):
                self._send(401, error_body(401))
                return
            scripted = tmdb.next_scripted(path)
            if scripted is not None and scripted.status != 200:
                self._send(scripted.status,
                           scripted.body if scripted.body is not None
                           else error_body(scripted.status), scripted.headers)
                return
            if path.startswith("/p/exports/"):
                self._export(path.rsplit("/", 1)[-1])
                return
            route = _ROUTE.fullmatch(path)
            if route is None:
                self._send(404, error_body(404))
                return
            appended = [a for a in query.get("append_to_response", "").split(",") if a]
            body = tmdb.details(route[1], int(route[2]),
                                int(route[3]) if route[3] is not None else None, appended)
            if body is None:
                self._send(404, error_body(404))
                return
            self._send(200, body)

        def _export(self, name: str) -> None:
            with tmdb.lock:
                data = tmdb.exports.get(name) if _EXPORT_NAME.fullmatch(name) else None
            if data is None:
                self._send(404, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                                "NoSuchKey</Code><Message>The specified key does not exist."
                                "</Message></Error>", {"Content-Type": "application/xml"})
                return
            self._send(200, data)

        def do_POST(self) -> None:
            self.logged = None
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, {"error": "invalid JSON"})
                return
            path = urlsplit(self.path).path
            if path == "/_control/titles":
                tmdb.add(*body.get("movies", []), *body.get("series", []))
            elif path == "/_control/script":
                tmdb.script(str(body["path"]), [int(s) for s in body.get("statuses", [])],
                            retry_after=body.get("retry_after", "1"))
            elif path == "/_control/export":
                lines = body.get("lines")
                tmdb.publish_export(body.get("kind", "movie"),
                                    date.fromisoformat(str(body["day"])),
                                    [str(line).encode() for line in lines]
                                    if lines is not None else None)
            elif path == "/_control/reset":
                tmdb.reset()
            else:
                self._send(404, error_body(404))
                return
            self._send(204)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Notflix's local TMDB")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default="")
    parser.add_argument("--bearer-token", default="")
    args = parser.parse_args()
    if not args.api_key and not args.bearer_token:
        parser.error("give --api-key or --bearer-token")
    FakeTmdb(api_key=args.api_key, bearer_token=args.bearer_token,
             port=args.port).serve_forever()


if __name__ == "__main__":
    main()
