"""Import benchmark: TMDB's daily export through parse, filter and diff; DynamoDB writes.

Measured side by side in one run:
- a generated 1,000,000-line `movie_ids` export (gzip, TMDB's format, ~1% adult or video
  entries, a few bad lines) streamed through the import's parse + filter + diff against the
  fetch state (msgspec), and through the same pipeline with Python's json module; each in a
  child process, so its peak RSS is its own;
- DynamoDB writes against a private moto stack: single PutItem calls, BatchWriteItem (25 per
  call) and the catalogue writer's upsert (conditional title put + batched facets).

Run: `.venv/bin/python -m bench.catalogue_import` (about two minutes).
"""

from __future__ import annotations

import gzip
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from array import array
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LINES = 1_000_000
WRITES = 2000


def generate(path: Path, lines: int = LINES) -> None:
    rng = random.Random(7)
    with gzip.open(path, "wb", compresslevel=6) as out:
        for n in range(1, lines + 1):
            if n % 250_000 == 0:
                out.write(b'{"adult":false,"id":\n')  # a truncated line
                continue
            entry = {"adult": rng.random() < 0.006, "id": n * 2 + rng.randrange(2),
                     "original_title": f"Title {n} " + "x" * rng.randrange(1, 24),
                     "popularity": round(rng.expovariate(0.5), 3),
                     "video": rng.random() < 0.004}
            out.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")


def child(mode: str, path: str) -> None:
    """Stream the export and diff it against a fetch state holding half the ids."""
    from chalicelib.catalogue.importing.fetch_state import FetchState, day_number
    from chalicelib.catalogue.importing.tmdb_export import ExportStats, open_export, parse_lines

    today = day_number(date(2026, 11, 23))
    state = FetchState()
    for tmdb_id in range(0, 2 * LINES, 4):  # half the ids fetched 3 days ago
        state.mark(tmdb_id, today - 3)
    started = time.perf_counter()
    todo = array("I")
    kept = 0
    with open_export(Path(path)) as lines:
        if mode == "msgspec":
            stats = ExportStats()
            for entry in parse_lines(lines, stats):
                kept += 1
                if state.needs(entry.tmdb_id, today, 30):
                    todo.append(entry.tmdb_id)
            count = stats.lines
        else:
            count = 0
            for raw in lines:
                count += 1
                try:
                    row = json.loads(raw)
                    tmdb_id = int(row["id"])
                except (ValueError, KeyError, TypeError):
                    continue
                if row.get("adult") or row.get("video"):
                    continue
                kept += 1
                if state.needs(tmdb_id, today, 30):
                    todo.append(tmdb_id)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"lines": count, "kept": kept, "to_fetch": len(todo), "seconds": seconds,
                      "rss_mb": rss_mb}))


def run_child(mode: str, path: Path) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-m", "bench.catalogue_import", "--child", mode,
                             str(path)], cwd=ROOT, capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def parse_bench() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "movie_ids_11_23_2026.json.gz"
        started = time.perf_counter()
        generate(path)
        print(f"generated {LINES:,} lines ({path.stat().st_size / 1e6:.1f} MB gzip) in "
              f"{time.perf_counter() - started:.1f}s")
        ours = run_child("msgspec", path)
        stdlib = run_child("json", path)
    print(f"{'pipeline':<34} {'lines/s':>10} {'to fetch':>9} {'peak RSS MB':>12}")
    for name, row in (("parse+filter+diff (msgspec)", ours),
                      ("same with json.loads", stdlib)):
        print(f"{name:<34} {row['lines'] / row['seconds']:10,.0f} {row['to_fetch']:9,.0f} "
              f"{row['rss_mb']:12.1f}")
    ratio = (ours["lines"] / ours["seconds"]) / (stdlib["lines"] / stdlib["seconds"])
    print(f"msgspec / json throughput ratio: {ratio:.2f}")


def write_bench() -> None:
    from bench.harness import private_stack
    from chalicelib.catalogue.titles.models import FacetModel
    from chalicelib.catalogue.titles.records import TitleRecord
    from chalicelib.platform.resources import Resources
    from chalicelib.services import Services

    with private_stack() as (settings, _api):
        services = Services(Resources(settings))
        writer = services.catalogue_writer  # binds the tables

        def items(tag: str) -> list[FacetModel]:
            return [FacetModel(f"bench#{tag}", f"{n:012d}#t{n}", id=f"t{n}", kind="film",
                               name=f"Bench {n}", year=2000 + n % 20, genres=["Drama"],
                               countries=["US"]) for n in range(WRITES)]

        single = items("single")
        started = time.perf_counter()
        for item in single:
            item.save()
        single_rate = WRITES / (time.perf_counter() - started)

        batched = items("batch")
        started = time.perf_counter()
        with FacetModel.batch_write() as batch:
            for item in batched:
                batch.save(item)
        batch_rate = WRITES / (time.perf_counter() - started)

        records = [TitleRecord(id=f"bench-{n}", kind="film", name=f"Bench Title {n}",
                               source="generated", year=1990 + n % 30,
                               genres=("Drama", "Comedy"), countries=("US", "FR"),
                               rating=6 + n % 4, votes=n * 10, popularity=n / 10)
                   for n in range(WRITES)]
        started = time.perf_counter()
        stats = writer.upsert(records)
        upsert_rate = WRITES / (time.perf_counter() - started)
        started = time.perf_counter()
        again = writer.upsert(records)
        unchanged_rate = WRITES / (time.perf_counter() - started)
        assert stats.created == WRITES and again.unchanged == WRITES
    print(f"\nDynamoDB (moto) writes of {WRITES:,}:")
    print(f"{'how':<48} {'per s':>9} {'vs single':>10}")
    for name, rate in (("PutItem, one call per item", single_rate),
                       ("BatchWriteItem, 25 items per call", batch_rate),
                       ("catalogue upsert (title + 6 facets), new", upsert_rate),
                       ("catalogue upsert, unchanged (skipped)", unchanged_rate)):
        print(f"{name:<48} {rate:9,.0f} {rate / single_rate:10.1f}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    parse_bench()
    write_bench()


if __name__ == "__main__":
    main()
