"""Neo4j frozen, then stopped mid-run: degraded answers, no lost watch, recovery by itself.

The test runs its own Neo4j (so stopping it harms no other test) and the event runner driving
the graph-sync queue against it, as Lambda would.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from chalicelib.recommendations import recommender as recommender_module
from chalicelib.recommendations.cache import RecommendationCache
from chalicelib.recommendations.events import TitleRow, TitlesEvent, WatchRow
from chalicelib.recommendations.fallback import PopularTitles
from chalicelib.recommendations.recommender import Recommender, Tuning
from chalicelib.recommendations.schema import apply_schema
from chalicelib.recommendations.sync import GraphSync
from chalicelib.recommendations.trending import Trending
from chalicelib.services import Services
from localcloud import paths
from localcloud.sidecars.neo4j import Neo4jSidecar
from localcloud.stack import EmbeddedStack
from tests.support import eventually, free_port, unique

pytestmark = pytest.mark.integration
START_TIMEOUT = 120.0


@pytest.fixture
def private_neo4j(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Neo4jSidecar]:
    Neo4jSidecar().ensure_installed()  # the shared jar cache; a no-op once fetched
    monkeypatch.setenv("NOTFLIX_LOCAL_DIR", str(tmp_path / "local"))
    neo4j = Neo4jSidecar(port=free_port())
    neo4j.start()
    neo4j.wait_healthy(START_TIMEOUT)
    yield neo4j
    if neo4j.process is not None and neo4j.process.poll() is None:
        os.kill(neo4j.process.pid, signal.SIGCONT)
    neo4j.stop()


def test_degraded_while_neo4j_is_frozen_or_down_and_no_watch_is_lost(
        private_neo4j: Neo4jSidecar, settings: Settings, stack_env: dict[str, str],
        stack_outputs: dict[str, str], catalogue_services: Services) -> None:
    neo4j = private_neo4j
    private = dataclasses.replace(settings, neo4j_uri=neo4j.uri,
                                  neo4j_password=neo4j.password, recs_budget_ms=300)
    resources = Resources(private)
    try:
        apply_schema(resources.neo4j)
        ns = unique("o") + "-"
        GraphSync(resources.neo4j).apply([TitlesEvent([
            TitleRow(id=f"{ns}seen", name="Seen", kind="film", playable=True,
                     genres=[f"{ns}noir"]),
            TitleRow(id=f"{ns}next", name="Next", kind="film", playable=True,
                     genres=[f"{ns}noir"])])])
        trending = Trending(resources.redis, f"{settings.resource_prefix}:{ns}")
        # the cache under the app's own prefix: the sync worker drops the user's cached
        # answer once their watch is in the graph (an answer cached late, from before the
        # watch landed, must not outlive it)
        recommender = Recommender(
            resources.neo4j, RecommendationCache(resources.redis, settings.resource_prefix),
            PopularTitles(trending, ""), "", budget_s=0.3,
            # no cold-start share for popular titles: on the shared graph the whole
            # catalogue's would crowd out the one title this viewer's genre leads to
            tuning=Tuning(cold_start_watches=0))
        user = f"{ns}viewer"
        assert recommender.compute(user, 5) is not None  # up: the graph answers (not cached)
        runner = EmbeddedStack(env={**stack_env, "NOTFLIX_PREFIX": settings.resource_prefix,
                                    "NOTFLIX_NEO4J_URI": neo4j.uri,
                                    "NOTFLIX_GRAPH_RETRY_SECONDS": "1",
                                    "NOTFLIX_GRAPH_RETRY_MAX_SECONDS": "2",
                                    "NOTFLIX_RUNNER_QUEUES": settings.graph_queue},
                               record_pids=False)
        runner.start_runner()
        try:
            # frozen (slower than any budget): an answer within the budget, marked degraded
            assert neo4j.process is not None
            os.kill(neo4j.process.pid, signal.SIGSTOP)
            started = time.monotonic()
            with mock.patch.object(recommender_module.logger, "warning",
                                   wraps=recommender_module.logger.warning) as warned:
                frozen = recommender.for_user(user, 5)
            # the budget gave up on the graph (its timeout, not the driver's error after its
            # own 2 s timeouts), and nothing hung on the frozen server; how fast the rest
            # (DynamoDB, Redis) answers depends on the machine's load, so it is not timed
            assert frozen["degraded"] is True
            assert any(c.args[:1] == ("recommendations degraded",)
                       and c.kwargs.get("error") == "TimeoutError"
                       for c in warned.call_args_list), warned.call_args_list
            assert time.monotonic() - started < 10
            os.kill(neo4j.process.pid, signal.SIGCONT)
            # thawed: the late answer was cached for the next request
            assert eventually(lambda: recommender.for_user(user, 5)["cached"], timeout=10)
            recommender.invalidate(user)
            # down: still an answer; a watch posted meanwhile waits in the queue
            neo4j.stop()
            assert recommender.for_user(user, 5)["degraded"] is True
            catalogue_services.graph_outbox.watches([WatchRow(
                user=user, title=f"{ns}seen", count=1, last_at="2026-11-20T20:00:00Z",
                progress=1.0, completed=True)])
            log = paths.logs_dir() / "event-runner.log"
            eventually(lambda: log.is_file() and "graph sync failed" in log.read_text(),
                       timeout=30)
            # back: the queued watch lands without anyone's help, recommendations recover
            neo4j.start()
            neo4j.wait_healthy(START_TIMEOUT)

            def watched() -> bool:
                records, _, _ = resources.neo4j.execute_query(
                    "MATCH (:User {id: $u})-[w:WATCHED]->(:Title {id: $t}) RETURN w.count AS c",
                    u=user, t=f"{ns}seen")
                return bool(records) and records[0]["c"] == 1

            eventually(watched, timeout=90, interval=1.0)
            # (the first query after a restart plans from scratch and may miss the budget;
            # its answer is cached when it arrives: on a loaded machine, some tries later)
            recovered = eventually(lambda: (lambda a: None if a["degraded"] else a)(
                recommender.for_user(user, 50)), timeout=60, interval=0.5)
            by_id = {r["id"]: r for r in recovered["results"]}
            assert f"{ns}seen" not in by_id  # watched now
            assert {"kind": "genre", "text": f"Because you like {ns}noir",
                    "name": f"{ns}noir"} in by_id[f"{ns}next"]["reasons"]
        finally:
            runner.stop()
    finally:
        resources.close()
