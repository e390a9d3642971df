"""Dashboard benchmark: the console's delta request with 10,000 jobs stored.

A private embedded stack and the API; 10,000 jobs written straight to the jobs table (spread
over the states, each panel with thousands), an admin user. Then, side by side:

- ``GET /api/admin/dashboard?since=<cursor>`` when nothing changed (what an idle console
  polls every 2 s): p50/p99 and bytes;
- the same after one job changed (the changed panels come back, the others empty);
- ``GET /api/admin/dashboard`` without a cursor (every panel, what a fresh page loads).

Run: `.venv/bin/python -m bench.dashboard` (`--jobs N`, `--runs N`).
"""

from __future__ import annotations

import argparse
import random
import time
import uuid

import httpx

from bench.harness import http_client, measure, private_stack, report
from chalicelib.jobs.models import JOB_MODELS, JobModel, bump_panels
from chalicelib.platform.clock import iso_at
from chalicelib.platform.dynamo import bind_models
from chalicelib.platform.resources import Resources
from chalicelib.services import Services

JOBS = 10_000
RUNS = 200
STATES = ("QUEUED",) * 3 + ("PUBLISHED",) * 5 + ("FAILED", "CANCELLED", "ENCODING")


def store_jobs(count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = time.time()
    with JobModel.batch_write() as batch:
        for n in range(count):
            created = iso_at(now - rng.uniform(0, 30 * 86_400))
            state = rng.choice(STATES)
            batch.save(JobModel(uuid.uuid4().hex, status=state, bucket="uploads",
                                key=f"uploads/{uuid.uuid4().hex}/clip-{n}.mp4", etag="e",
                                size=rng.randint(10**6, 10**9), title_id=f"title-{n % 500}",
                                number=n // 500 + 1, created_at=created, updated_at=created,
                                progress=1 if state == "PUBLISHED" else 0, stages={}))
    bump_panels(*set(STATES))



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    with private_stack() as (settings, api_url):
        resources = Resources(settings)
        try:
            services = Services(resources)
            services.catalogue  # binds the tables  # noqa: B018
            bind_models(settings, JOB_MODELS)
            started = time.perf_counter()
            store_jobs(args.jobs)
            print(f"{args.jobs:,} jobs stored in {time.perf_counter() - started:.1f} s")
            email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
            created = httpx.post(f"{api_url}/api/auth/register", timeout=30, json={
                "email": email, "password": "violet-harbour-quiet-42",
                "display_name": "Ops"}).json()
            services.accounts.set_roles(created["user"]["id"], ["admin", "viewer"])
            headers = {"Authorization": f"Bearer {created['token']}"}
            with http_client(api_url) as http:
                def delta(since: str | None) -> httpx.Response:
                    params = {"since": since} if since else {}
                    answer = http.get("/api/admin/dashboard", params=params, headers=headers)
                    answer.raise_for_status()
                    return answer

                cursor = delta(None).json()["cursor"]
                idle = delta(cursor)
                assert idle.json()["changed"] == [], idle.text
                rows: dict[str, tuple[float, float]] = {}
                sizes: dict[str, int] = {}
                rows["nothing changed (?since=cursor)"] = measure(lambda: delta(cursor),
                                                                args.runs)
                sizes["nothing changed (?since=cursor)"] = len(idle.content)
                bump_panels("ENCODING")  # one job's progress: the active panel changed
                one = delta(cursor)
                rows["one panel changed"] = measure(lambda: delta(cursor), args.runs)
                sizes["one panel changed"] = len(one.content)
                full = delta(None)
                rows["every panel (no cursor)"] = measure(lambda: delta(None), args.runs)
                sizes["every panel (no cursor)"] = len(full.content)
        finally:
            resources.close()
    print(f"\nGET /api/admin/dashboard, {args.runs} sequential requests each, "
          f"{args.jobs:,} jobs stored")
    report(rows, "nothing changed (?since=cursor)")
    for name, size in sizes.items():
        print(f"  {name:<44} {size:>8,} bytes")


if __name__ == "__main__":
    main()
