"""Search benchmark: the compact index on 1,000,000 generated titles with their people.

1. Generates 1M titles deterministically: 1-6 words drawn Zipf-like from ~40k pseudo-words
   (some accented) and common English title words, Zipf-like popularity; each with a
   director (from 100k), 3-15 cast members (from 400k, Zipf-like: a few stars are in
   hundreds of titles) and 1-3 of 20 genres. Names are a first name (~400) and a surname
   (~60k pseudo-words).
2. In-process: build time, peak RSS, size raw and zlib-compressed, load time, and warm query
   p50/p99 of `SearchIndex.find` (what the API answers: grouped results, total, corrections)
   over a mixed query set: title kinds (1-char, 2-4 char prefixes, whole words, two words,
   title starts, accented spellings, misses), people kinds (surname, full name, full name
   being typed), genres, and typos (title words and surnames one or two edits off).
3. Over HTTP: a private embedded stack, the index uploaded to S3 where the API reads it, then
   `GET /api/search?q=...&limit=10` for the same mix (the first request loads the index).

Run: `.venv/bin/python -m bench.search` (`--titles N` for a smaller run, `--no-api` to skip
the stack).
"""

from __future__ import annotations

import argparse
import base64
import gc
import heapq
import random
import resource
import string
import time
import zlib
from urllib.parse import quote

from bench.harness import http_client, percentiles_ms, private_stack, report
from chalicelib.catalogue.search.fuzzy import max_edits
from chalicelib.catalogue.search.index import SearchDoc, SearchIndex, build
from chalicelib.platform.aws import make_session

SEED = 20261122
TITLES = 1_000_000
INDEX_KEY = "search/titles.idx"
_COMMON_TEXT = (
    "the of and a in to love man night day last life world girl boy story dead black "
    "house war time city king blood dark home little my big house lost one two first new "
    "old red white blue lady death killer secret summer winter christmas island river "
    "star stars moon sun fire ice water heart dream dreams street road money game games "
    "return revenge legend legends queen prince princess family father mother brother "
    "sister son daughter children friends ghost ghosts monster monsters school murder "
    "love affair american french paris london new york tokyo space planet zero after "
    "before beyond under over inside out end beginning kill hunter hunt wild west east "
    "north south la le les de el los das der die und il en du des"
)
#: Common title words, most frequent first (they get the heavy end of the Zipf curve).
COMMON = list(dict.fromkeys(_COMMON_TEXT.split()))
ACCENTED = ("amélie", "café", "noël", "señor", "über", "mädchen", "été", "niño", "façade",
            "crème", "déjà", "garçon", "société", "mañana", "fröken", "sérénade")
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiouy"] + [
    "an", "en", "in", "on", "ar", "er", "or", "al", "el", "st", "tr", "ch", "sh", "th"]
GENRES = ("Drama", "Comedy", "Thriller", "Action", "Romance", "Crime", "Horror",
          "Documentary", "Adventure", "Science Fiction", "Family", "Mystery", "Fantasy",
          "Animation", "Music", "History", "War", "Western", "Biography", "Sport")
#: Genres drawn in proportion to these weights (drama is about a third of all titles).
GENRE_WEIGHTS = (34, 25, 12, 11, 10, 9, 7, 6, 6, 5, 4, 4, 4, 3, 3, 2, 2, 1, 2, 1)
DIRECTORS = 100_000
ACTORS = 400_000


def vocabulary(rng: random.Random, size: int = 40_000) -> list[str]:
    """`size` distinct pseudo-words of 2-4 syllables; about 3% carry an accent."""
    accents = {"e": "é", "a": "à", "o": "ö", "u": "ü", "n": "ñ", "i": "î"}
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.03:
            at = rng.randrange(len(word))
            word = word[:at] + accents.get(word[at], word[at]) + word[at + 1:]
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def zipf_weights(n: int, s: float) -> list[float]:
    cumulative: list[float] = []
    total = 0.0
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        cumulative.append(total)
    return cumulative


def person_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct "First Surname" names: ~400 first names, ~60k surnames."""
    firsts = [w.title() for w in vocabulary(rng, 400)]
    surnames = [w.title() for w in vocabulary(rng, 60_000)]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        name = f"{rng.choice(firsts)} {rng.choice(surnames)}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def generate(count: int, seed: int = SEED) -> list[SearchDoc]:
    """`count` titles, identical on every run."""
    rng = random.Random(seed)
    people = person_names(random.Random(seed + 2), DIRECTORS + ACTORS)
    directors, actors = people[:DIRECTORS], people[DIRECTORS:]
    director_weights = zipf_weights(len(directors), 0.8)
    actor_weights = zipf_weights(len(actors), 0.8)
    pseudo = vocabulary(rng)
    vocab = COMMON + list(ACCENTED) + pseudo
    # Common words first, so they get the heavy end of the Zipf curve.
    cumulative = zipf_weights(len(vocab), 0.9)
    lengths = [1, 2, 3, 4, 5, 6]
    length_weights = [20, 30, 24, 14, 8, 4]
    countries = ["US", "GB", "FR", "DE", "JP", "IN", "KR", "IT", "ES", "CA", None]
    docs: list[SearchDoc] = []
    for i in range(count):
        n = rng.choices(lengths, length_weights)[0]
        chosen = rng.choices(vocab, cum_weights=cumulative, k=n)
        if rng.random() < 0.15:
            chosen[0] = "the"
        name = " ".join(chosen).title() if rng.random() < 0.9 else " ".join(chosen)
        if rng.random() < 0.05:
            name += f": Part {rng.randint(2, 9)}"
        series = rng.random() < 0.2
        docs.append(SearchDoc(
            id=f"{'tv' if series else 'movie'}-{i + 1}", name=name,
            year=rng.randint(1920, 2026) if rng.random() < 0.95 else None,
            imdb_id=f"tt{rng.randint(1, 29_999_999):07d}" if rng.random() < 0.7 else None,
            poster_path=("/" + base64.urlsafe_b64encode(rng.randbytes(20)).decode()[:27]
                         + ".jpg") if rng.random() < 0.8 else None,
            country=rng.choice(countries), kind="series" if series else "film",
            # Pareto: a few very popular titles, a long tail near 1.
            popularity=round(rng.paretovariate(1.1), 3),
            directors=tuple(rng.choices(directors, cum_weights=director_weights, k=1)),
            cast=tuple(sorted(set(rng.choices(actors, cum_weights=actor_weights,
                                              k=rng.randint(3, 15))))),
            genres=tuple(set(rng.choices(GENRES, GENRE_WEIGHTS, k=rng.randint(1, 3))))))
    return docs


def typo(rng: random.Random, word: str) -> str:
    """`word` with as many random edits as a query of its length may have."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    for _ in range(max_edits(word)):
        at = rng.randrange(len(word))
        edit = rng.choice(("substitute", "delete", "insert", "swap"))
        if edit == "substitute":
            word = word[:at] + rng.choice(letters) + word[at + 1:]
        elif edit == "delete" and len(word) > 4:
            word = word[:at] + word[at + 1:]
        elif edit == "swap" and at + 1 < len(word):
            word = word[:at] + word[at + 1] + word[at] + word[at + 2:]
        else:
            word = word[:at] + rng.choice(letters) + word[at:]
    return word


def queries(docs: list[SearchDoc], n_each: int = 200,
            seed: int = SEED + 1) -> dict[str, list[str]]:
    """A realistic mix, by kind: what people type into a search box while typing."""
    rng = random.Random(seed)
    popular = heapq.nlargest(5000, docs, key=lambda d: d.popularity)

    def title_words() -> list[str]:
        source = popular if rng.random() < 0.6 else docs
        return rng.choice(source).name.replace(":", "").split()

    def multi_word() -> list[str]:
        while len(found := title_words()) < 2:
            pass
        return found

    mix: dict[str, list[str]] = {
        "1 char": [rng.choice(string.ascii_lowercase) for _ in range(n_each)],
        "2-4 char prefix": [rng.choice(title_words())[:rng.randint(2, 4)]
                            for _ in range(n_each)],
        "whole word": [rng.choice(title_words()) for _ in range(n_each)],
        "two words": [],
        "title start": [],
        "accents/case": [rng.choice(ACCENTED).upper()[:rng.randint(3, 6)]
                         for _ in range(n_each // 2)]
                        + [rng.choice(ACCENTED).replace("é", "e").replace("ñ", "n")
                           for _ in range(n_each // 2)],
        "miss": ["".join(rng.choice("qxzj") for _ in range(rng.randint(3, 7)))
                 for _ in range(n_each)],
    }
    for _ in range(n_each):
        found = multi_word()
        first, second = rng.sample(found, 2)
        mix["two words"].append(f"{first} {second[:rng.randint(2, max(2, len(second)))]}")
    for _ in range(n_each):
        found = title_words()
        text = " ".join(found)
        mix["title start"].append(text[:rng.randint(3, max(3, len(text)))])

    def someone() -> str:
        doc = rng.choice(popular if rng.random() < 0.6 else docs)
        return rng.choice(doc.directors + doc.cast)

    def long_word() -> str:
        while len(found := rng.choice(title_words()).lower()) < 4:
            pass
        return found

    mix["person surname"] = [someone().split()[-1] for _ in range(n_each)]
    mix["person full name"] = [someone() for _ in range(n_each)]
    mix["person being typed"] = [(name := someone())[:rng.randint(3, len(name))]
                                 for _ in range(n_each)]
    mix["genre"] = [rng.choice(GENRES).lower() for _ in range(n_each)]
    mix["typo: title word"] = [typo(rng, long_word()) for _ in range(n_each)]
    mix["typo: surname"] = [typo(rng, someone().split()[-1].lower()) for _ in range(n_each)]
    return mix


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def in_process(index: SearchIndex, mix: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    """Warm p50/p99 of `find` per query kind (each query run once before the timed pass)."""
    for batch in mix.values():
        for q in batch:
            index.find(q, 0, 10)
    rows: dict[str, tuple[float, float]] = {}
    everything: list[float] = []
    for kind, batch in mix.items():
        samples = []
        for _ in range(3):
            for q in batch:
                started = time.perf_counter()
                index.find(q, 0, 10)
                samples.append(time.perf_counter() - started)
        everything.extend(samples)
        rows[f"in-process: {kind}"] = percentiles_ms(samples)
    rows["in-process: all kinds"] = percentiles_ms(everything)
    return rows


def outcomes(index: SearchIndex, mix: dict[str, list[str]]) -> dict[str, str]:
    """Per kind: how many queries found something, were corrected, had an exact total."""
    rows: dict[str, str] = {}
    for kind, batch in mix.items():
        pages = [index.find(q, 0, 10) for q in batch]
        found = sum(1 for p in pages if p.hits)
        corrected = sum(1 for p in pages if p.did_you_mean)
        exact = sum(1 for p in pages if p.exact)
        rows[kind] = (f"{found}/{len(pages)} found, {corrected} corrected, "
                      f"{exact} exact totals")
    return rows


class HttpRun:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[float, float]] = {}
        self.first_request_s = 0.0
        self.mismatches: list[str] = []
        self.missing_route = False


def over_http(data: bytes, index: SearchIndex, mix: dict[str, list[str]],
              per_kind: int) -> HttpRun:
    """The same mix through `chalice local`, the route reading the index from S3."""
    run = HttpRun()
    with private_stack(extra_env={"NOTFLIX_SEARCH_REFRESH_SECONDS": "3600"}) as (
            settings, api_url):
        s3 = make_session(settings).client("s3", endpoint_url=settings.aws_endpoint_url)
        s3.put_object(Bucket=settings.data_bucket, Key=INDEX_KEY, Body=data)
        with http_client(api_url) as http:
            started = time.perf_counter()
            first = http.get("/api/search", params={"q": "the", "limit": 10}, timeout=300)
            run.first_request_s = time.perf_counter() - started
            if first.status_code == 404:
                run.missing_route = True
                return run
            first.raise_for_status()
            by_kind: dict[str, list[float]] = {kind: [] for kind in mix}
            everything: list[float] = []
            for kind, batch in mix.items():
                for q in batch[:per_kind]:
                    started = time.perf_counter()
                    response = http.get(f"/api/search?q={quote(q)}&limit=10")
                    elapsed = time.perf_counter() - started
                    response.raise_for_status()
                    by_kind[kind].append(elapsed)
                    everything.append(elapsed)
                    got = [r["id"] for r in response.json()["results"]]
                    if got != [h.doc.id for h in index.find(q, 0, 10).hits]:
                        run.mismatches.append(q)
            for kind, samples in by_kind.items():
                run.rows[f"HTTP: {kind}"] = percentiles_ms(samples)
            run.rows["HTTP: all kinds"] = percentiles_ms(everything)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--titles", type=int, default=TITLES)
    parser.add_argument("--no-api", action="store_true", help="skip the HTTP measurements")
    parser.add_argument("--http-per-kind", type=int, default=150)
    args = parser.parse_args()

    started = time.perf_counter()
    docs = generate(args.titles)
    generated_s = time.perf_counter() - started
    mix = queries(docs)
    gc.collect()
    rss_before = rss_mib()
    peak_before = peak_rss_mib()

    started = time.perf_counter()
    data = build(docs)
    build_s = time.perf_counter() - started
    peak_build = peak_rss_mib()
    del docs
    gc.collect()

    started = time.perf_counter()
    compressed = zlib.compress(data, 6)
    compress_s = time.perf_counter() - started
    started = time.perf_counter()
    zlib.decompress(compressed)
    decompress_s = time.perf_counter() - started

    load_times = []
    index = SearchIndex.load(data)
    for _ in range(3):
        del index
        gc.collect()
        started = time.perf_counter()
        index = SearchIndex.load(data)
        load_times.append(time.perf_counter() - started)
    load_s = sorted(load_times)[1]

    rows = in_process(index, mix)
    http = None if args.no_api else over_http(data, index, mix, args.http_per_kind)

    print(f"\ntitles: {len(index):,} (generated in {generated_s:.1f} s)")
    print(f"build: {build_s:.1f} s; RSS with the generated titles in memory "
          f"{rss_before:,.0f} MiB (peak so far {peak_before:,.0f} MiB), peak during build "
          f"{peak_build:,.0f} MiB (+{peak_build - max(rss_before, peak_before):,.0f} MiB)")
    print(f"size: raw {len(data) / 2**20:,.1f} MiB, zlib-6 {len(compressed) / 2**20:,.1f} MiB "
          f"(compress {compress_s:.1f} s, decompress {decompress_s * 1000:,.0f} ms); "
          f"in memory {index.size_bytes / 2**20:,.1f} MiB ("
          + ", ".join(f"{part} {size / 2**20:,.1f}" for part, size in index.size_parts().items())
          + ")")
    print(f"load (raw bytes -> SearchIndex, median of 3): {load_s * 1000:,.0f} ms")
    print()
    for kind, outcome in outcomes(index, mix).items():
        print(f"{kind}: {outcome}")
    print()
    report(rows, "in-process: all kinds")
    if http is None:
        return
    print()
    if http.missing_route:
        print("GET /api/search answered 404: the route does not exist yet, so there are no "
              "API measurements.")
        return
    print(f"HTTP first request (S3 GET of {len(data) / 2**20:,.0f} MiB + load, then the "
          f"query): {http.first_request_s * 1000:,.0f} ms")
    if http.mismatches:
        print(f"WARNING: {len(http.mismatches)} queries answered differently over HTTP than "
              f"in-process, e.g. {http.mismatches[:3]}")
    report(http.rows, "HTTP: all kinds")


if __name__ == "__main__":
    main()
