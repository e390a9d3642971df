"""Faults: Redis, Neo4j and the AWS emulator stopped or frozen under a running API and encoder.

Each test stops (SIGTERM) or freezes (SIGSTOP, a hung server: connections open, nothing
answers) a dependency of this module's own stack, on free ports under a temporary folder, so
no other test is harmed. What must hold:

- a route that needs the dependency answers a clear 503 naming it (with ``Retry-After``),
  never a 500 and never a hang; routes that can do without it answer, degraded;
- no write is lost or applied twice (a write tried during the outage failed, or happened
  once, and a retry after it is applied once);
- once the dependency is back, the same API (and event runner) serve again by themselves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.jobs.models import job_id_for
from chalicelib.platform.config import Settings
from chalicelib.platform.resources import Resources
from encoder_lambda.media.mpd import parse
from localcloud import paths
from localcloud.paypal_sim.pki import ensure_test_pki
from localcloud.paypal_sim.server import signed_delivery
from localcloud.sidecars.base import Sidecar
from localcloud.sidecars.moto import MotoSidecar
from localcloud.sidecars.neo4j import Neo4jSidecar
from localcloud.sidecars.paypal import PayPalSidecar, credentials, pki_dir
from localcloud.sidecars.redis import RedisSidecar
from localcloud.stack import EmbeddedStack
from tests.integration.auth_client import STRONG_PASSWORD, login, new_email, register
from tests.integration.subscriptions import subscriber
from tests.media_clips import clip
from tests.support import eventually, free_port, unique

pytestmark = [pytest.mark.integration, pytest.mark.long_running]
START_TIMEOUT = 120.0
#: The client's patience: far longer than the API's own bounded waits, so a 503 arrives first.
PATIENCE = 60.0


@dataclass
class FaultStack:
    stack: EmbeddedStack
    settings: Settings
    resources: Resources

    @property
    def api(self) -> str:
        return self.stack.api_url

    def sidecar(self, kind: type[Sidecar]) -> Sidecar:
        return next(s for s in self.stack.sidecars if isinstance(s, kind))

    @property
    def moto(self) -> Sidecar:
        return self.sidecar(MotoSidecar)

    @property
    def redis(self) -> Sidecar:
        return self.sidecar(RedisSidecar)

    @property
    def neo4j(self) -> Sidecar:
        return self.sidecar(Neo4jSidecar)

    def restart(self, sidecar: Sidecar) -> None:
        sidecar.start()
        sidecar.wait_healthy(START_TIMEOUT)

    def log(self, name: str) -> str:
        path = paths.logs_dir() / f"{name}.log"
        return path.read_text(errors="replace") if path.is_file() else ""


def _signal(sidecar: Sidecar, which: signal.Signals) -> None:
    assert sidecar.process is not None and sidecar.process.poll() is None
    os.kill(sidecar.process.pid, which)


@contextmanager
def frozen(sidecar: Sidecar) -> Iterator[None]:
    """The server hangs: its port accepts connections, nothing is read or answered."""
    _signal(sidecar, signal.SIGSTOP)
    try:
        yield
    finally:
        _signal(sidecar, signal.SIGCONT)


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    """moto, Redis, Neo4j, the local PayPal and the API: this module's own, on free ports."""
    Neo4jSidecar().ensure_installed()  # the shared jar cache; a no-op once fetched
    local = tmp_path_factory.mktemp("faults")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NOTFLIX_LOCAL_DIR", str(local))
        env = {**os.environ, "NOTFLIX_TARGET": "embedded", "NOTFLIX_LOCAL_DIR": str(local),
               "NOTFLIX_PREFIX": unique("nff-"),
               **{f"NOTFLIX_{name}_PORT": str(free_port())
                  for name in ("AWS", "REDIS", "NEO4J", "PAYPAL", "API")},
               "NOTFLIX_GRAPH_RETRY_SECONDS": "1", "NOTFLIX_GRAPH_RETRY_MAX_SECONDS": "2"}
        stack = EmbeddedStack(env=env, record_pids=False)
        try:
            stack.start_sidecars()
            stack.deploy()
            stack.start_api()
            settings = stack.settings()
            resources = Resources(settings)
            try:
                yield FaultStack(stack, settings, resources)
            finally:
                resources.close()
        finally:
            for sidecar in stack.sidecars:  # a test that failed mid-freeze leaves it stopped
                if sidecar.process is not None and sidecar.process.poll() is None:
                    os.kill(sidecar.process.pid, signal.SIGCONT)
            stack.stop()


def _unavailable(response: httpx.Response, dependency: str) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    error = dict(response.json()["error"])
    assert error["code"] == "service_unavailable" and error["dependency"] == dependency
    assert "try again" in error["message"]
    return error


def _users_with_email(faults: FaultStack, email: str) -> int:
    """Accounts holding `email`, counted in the table itself (not through the API)."""
    table = faults.settings.table_name("users")
    found = faults.resources.dynamodb.scan(
        TableName=table, FilterExpression="email = :e",
        ExpressionAttributeValues={":e": {"S": email}}, ConsistentRead=True)
    return int(found["Count"])


# -- Redis ----------------------------------------------------------------------------------
def test_redis_stopped_sessions_answer_503_nothing_half_written_and_recovery(
        faults: FaultStack) -> None:
    api = faults.api
    account = register(api)
    me = httpx.get(f"{api}/api/me", headers=account.bearer, timeout=PATIENCE)
    assert me.status_code == 200
    faults.redis.stop()

    _unavailable(httpx.get(f"{api}/api/me", headers=account.bearer, timeout=PATIENCE), "redis")
    _unavailable(login(api, account.email, account.password), "redis")
    late = new_email()
    refused = httpx.post(f"{api}/api/auth/register", timeout=PATIENCE, json={
        "email": late, "password": STRONG_PASSWORD, "display_name": "Late Comer"})
    _unavailable(refused, "redis")
    assert _users_with_email(faults, late) == 0  # no account without its session
    # what needs no session still answers
    assert httpx.get(f"{api}/api/titles", timeout=PATIENCE).status_code == 200
    home = httpx.get(f"{api}/", headers={"Accept": "text/html"}, timeout=PATIENCE)
    assert home.status_code == 200, home.text[:300]
    page = httpx.get(f"{api}/account", timeout=PATIENCE, headers={
        "Accept": "text/html", "Cookie": f"notflix_session={account.token}"})
    assert page.status_code == 503 and "Redis" in page.text  # the page says what is down

    faults.restart(faults.redis)  # the same data folder: sessions come back with it
    assert httpx.get(f"{api}/api/me", headers=account.bearer,
                     timeout=PATIENCE).json()["email"] == account.email
    again = register(api, email=late, name="Late Comer")  # the retry makes the one account
    assert again.user["email"] == late and _users_with_email(faults, late) == 1
    assert login(api, account.email, account.password).status_code == 200


# -- Neo4j ----------------------------------------------------------------------------------
def test_neo4j_stopped_recommendations_degrade_then_recover(faults: FaultStack) -> None:
    api = faults.api
    account = register(api)
    title_id = f"t-{unique()}"
    _make_title(faults, title_id)

    def recommendations() -> dict[str, Any]:
        response = httpx.get(f"{api}/api/me/recommendations", headers=account.bearer,
                             timeout=PATIENCE)
        assert response.status_code == 200, response.text
        return dict(response.json())

    faults.neo4j.stop()
    assert recommendations()["degraded"] is True  # popular titles, not an error
    similar = httpx.get(f"{api}/api/titles/{title_id}/similar", timeout=PATIENCE)
    assert similar.status_code == 200 and similar.json()["degraded"] is True
    health = httpx.get(f"{api}/health", timeout=PATIENCE)
    assert health.status_code == 503 and health.json()["down"] == ["neo4j"]

    faults.restart(faults.neo4j)
    # (the first query after a restart may miss the budget; its answer is cached for the next)
    eventually(lambda: not recommendations()["degraded"], timeout=90, interval=0.5)
    assert httpx.get(f"{api}/health", timeout=PATIENCE).status_code == 200


# -- the AWS emulator ---------------------------------------------------------------------
def test_aws_frozen_routes_answer_503_a_retried_registration_makes_one_account(
        faults: FaultStack) -> None:
    api = faults.api
    account, _ = subscriber(api)  # progress posts need what playing needs
    email = new_email()
    title_id = f"t-{unique()}"
    _make_title(faults, title_id, playable=True)
    play = {"title_id": title_id, "position_s": 12.0, "duration_s": 60.0,
            "play_id": unique("play-")}

    def progress() -> httpx.Response:
        return httpx.post(f"{api}/api/me/progress", json=play, headers=account.bearer,
                          timeout=PATIENCE)

    with frozen(faults.moto):  # hung: connections open, nothing answers
        _unavailable(progress(), "aws")
        _unavailable(httpx.get(f"{api}/api/titles", timeout=PATIENCE), "aws")
        _unavailable(httpx.get(f"{api}/api/me", headers=account.bearer, timeout=PATIENCE),
                     "aws")
        attempt = httpx.post(f"{api}/api/auth/register", timeout=PATIENCE, json={
            "email": email, "password": STRONG_PASSWORD, "display_name": "Patient"})
        _unavailable(attempt, "aws")
        home = httpx.get(f"{api}/", headers={"Accept": "text/html"}, timeout=PATIENCE)
        assert home.status_code == 200  # its rows are left out, the page still answers

    # Thawed, the emulator may still apply the write the API gave up on: the client's retry
    # then finds the email taken. Either way there is exactly one account, and it works.
    eventually(lambda: httpx.get(f"{api}/api/titles", timeout=PATIENCE).status_code == 200,
               timeout=30)
    retried = httpx.post(f"{api}/api/auth/register", timeout=PATIENCE, json={
        "email": email, "password": STRONG_PASSWORD, "display_name": "Patient"})
    assert retried.status_code in (201, 409), retried.text
    assert _users_with_email(faults, email) == 1
    assert login(api, email, STRONG_PASSWORD).status_code == 200
    assert httpx.get(f"{api}/api/me", headers=account.bearer, timeout=PATIENCE).status_code == 200
    # the player posts the same play again (every ~10 s): it is counted, and only once
    counted = [progress().json() for _ in range(2)]
    assert [(c["play_count"], c["new_play"]) for c in counted] == [(1, True), (1, False)]
    history = httpx.get(f"{api}/api/me/history", headers=account.bearer, timeout=PATIENCE)
    assert [(h["title"]["id"], h["event"]) for h in history.json()["history"]] == [
        (title_id, "started")]


def test_aws_stopped_and_restarted_the_same_api_serves_again(faults: FaultStack) -> None:
    """A real stop loses the emulator's memory: infra is deployed again, the API is not
    restarted and serves as soon as its tables exist again."""
    api = faults.api
    faults.moto.stop()
    _unavailable(httpx.get(f"{api}/api/titles", timeout=PATIENCE), "aws")
    health = httpx.get(f"{api}/health", timeout=PATIENCE)
    assert health.status_code == 503
    assert {"dynamodb", "s3", "sqs"} <= set(health.json()["down"])

    faults.restart(faults.moto)
    faults.stack.deploy()
    eventually(lambda: httpx.get(f"{api}/health", timeout=PATIENCE).status_code == 200,
               timeout=30)
    account = register(api)  # writes land in the new tables
    assert httpx.get(f"{api}/api/me", headers=account.bearer, timeout=PATIENCE).status_code == 200


def test_aws_frozen_a_paypal_webhook_redelivered_after_is_applied_once(
        faults: FaultStack) -> None:
    api = faults.api
    account, subscription_id = subscriber(api)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    sale = {"id": f"SALE-{unique()}", "state": "completed",
            "amount": {"total": "9.99", "currency": "EUR"},
            "billing_agreement_id": subscription_id, "create_time": now, "update_time": now}
    paypal = faults.sidecar(PayPalSidecar)
    assert isinstance(paypal, PayPalSidecar)
    body, headers = signed_delivery(
        {"id": f"WH-{unique()}", "event_version": "1.0", "create_time": now,
         "resource_type": "sale", "event_type": "PAYMENT.SALE.COMPLETED", "resource": sale},
        webhook_id=credentials().webhook_id, cert_url=f"{paypal.base_url}/certs/webhook-chain.pem",
        pki=ensure_test_pki(pki_dir()))

    def deliver() -> int:
        return httpx.post(f"{api}/webhooks/paypal", content=body, headers=headers,
                          timeout=PATIENCE).status_code

    with frozen(faults.moto):
        assert deliver() == 503  # PayPal keeps the event and delivers it again later
    # PayPal's redeliveries: a 409 while the interrupted attempt's in-progress record lasts,
    # then 200; once applied, every further delivery is acknowledged and changes nothing.
    eventually(lambda: deliver() == 200, timeout=120, interval=2.0)
    assert [deliver() for _ in range(3)] == [200, 200, 200]
    listed = httpx.get(f"{api}/api/me/payments", headers=account.bearer, timeout=PATIENCE)
    assert [p["id"] for p in listed.json()["payments"]].count(sale["id"]) == 1


# -- during an encode -----------------------------------------------------------------------
def _item(faults: FaultStack, table: str, key: dict[str, str]) -> dict[str, Any] | None:
    found = faults.resources.dynamodb.get_item(
        TableName=faults.settings.table_name(table), ConsistentRead=True,
        Key={name: {"S": value} for name, value in key.items()})
    item = found.get("Item")
    return dict(item) if item else None


def _make_title(faults: FaultStack, title_id: str, *, playable: bool = False) -> None:
    """A catalogue title, written by the app's own code in a process bound to this stack
    (binding the models here would point other tests' models at this stack)."""
    script = (
        "from chalicelib.catalogue.titles.playable import attach_asset\n"
        "from chalicelib.catalogue.titles.records import TitleRecord\n"
        "from chalicelib.platform.config import Settings\n"
        "from chalicelib.platform.resources import Resources\n"
        "from chalicelib.services import Services\n"
        "services = Services(Resources(Settings.from_env()))\n"
        "services.catalogue  # binds the models\n"
        f"services.catalogue_writer.upsert([TitleRecord(id={title_id!r}, kind='film',"
        " name='Frozen Film', source='generated', year=2024)])\n")
    if playable:
        script += (f"assert attach_asset({title_id!r}, {{'asset_id': 'f' * 32,"
                   " 'manifest': 'media/' + 'f' * 32 + '/manifest.mpd', 'duration_s': 60.0})\n")
    done = subprocess.run([sys.executable, "-c", script], env=faults.stack.child_env(),
                          cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.timeout(900)
def test_aws_frozen_mid_encode_the_redelivered_job_publishes_once(
        faults: FaultStack, tmp_path: Path) -> None:
    settings, sqs, s3 = faults.settings, faults.resources.sqs, faults.resources.s3
    queue = sqs.get_queue_url(QueueName=settings.encode_queue)["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=f"{settings.encode_queue}-dlq")["QueueUrl"]
    tasks = sqs.get_queue_url(QueueName=settings.encode_tasks_queue)["QueueUrl"]
    tasks_dlq = sqs.get_queue_url(QueueName=settings.encode_tasks_dlq)["QueueUrl"]
    # Seconds instead of 15 minutes (Lambda's timeout) before a failed message comes back.
    # Receives the runner gave up on while the emulator was frozen are still counted when
    # it thaws, so the DLQ threshold (and the encoder's, NOTFLIX_ENCODE_MAX_ATTEMPTS) is
    # raised above those.
    for source, dead in ((queue, dlq), (tasks, tasks_dlq)):
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=source, Attributes={
            "VisibilityTimeout": "5",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn,
                                         "maxReceiveCount": 20})})
    title_id = f"t-{unique()}"
    _make_title(faults, title_id)
    runner = EmbeddedStack(env={**faults.stack.env, "NOTFLIX_RUNNER_QUEUES":
                                f"{settings.encode_queue},{settings.encode_tasks_queue}",
                                "NOTFLIX_ENCODER_LEASE_SECONDS": "4",
                                "NOTFLIX_ENCODE_MAX_ATTEMPTS": "20"}, record_pids=False)
    runner.start_runner()
    try:
        source = clip(tmp_path / "frozen.mp4", seconds=20)
        key = f"uploads/{unique()}/frozen.mp4"
        bucket = settings.uploads_bucket
        s3.upload_file(str(source), bucket, key, ExtraArgs={"Metadata": {"title-id": title_id}})
        job_id = job_id_for(bucket, key, s3.head_object(Bucket=bucket, Key=key)["ETag"])

        def status() -> str:
            job = _item(faults, "jobs", {"job_id": job_id})
            return job["status"]["S"] if job else ""

        eventually(lambda: status() == "ENCODING", timeout=120, interval=0.2)
        with frozen(faults.moto):  # the chunk's next progress write hangs, then fails
            # the failure surfaces when the chunk's encode ends: 20 s alone, minutes on the
            # suite's loaded machine (145 s and over 240 s measured in two whole-suite runs)
            eventually(lambda: "upload processing failed" in faults.log("event-runner"),
                       timeout=480, interval=0.5)

        eventually(lambda: status() in ("PUBLISHED", "FAILED"), timeout=180, interval=0.5)
        job = _item(faults, "jobs", {"job_id": job_id})
        assert job is not None and job["status"]["S"] == "PUBLISHED", job
        assert len(job["tasks_done"]["SS"]) == int(job["tasks_total"]["N"])  # each once
        asset_id = job["asset_id"]["S"]
        title = _item(faults, "titles", {"id": title_id})
        assert title is not None and json.loads(title["asset"]["S"])["asset_id"] == asset_id
        prefix = f"media/{asset_id}/"
        stored = {o["Key"].removeprefix(prefix) for o in s3.list_objects_v2(
            Bucket=settings.media_bucket, Prefix=prefix)["Contents"]}
        manifest = parse(s3.get_object(Bucket=settings.media_bucket,
                                       Key=prefix + "manifest.mpd")["Body"].read())
        assert {f for r in manifest.representations for f in r.files} <= stored
        for dead in (dlq, tasks_dlq):
            assert sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=[
                "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "0"
        # the job stays published: nothing left in the queues works it again
        def drained(url: str) -> bool:
            return bool(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])[
                "Attributes"] == {"ApproximateNumberOfMessages": "0",
                                  "ApproximateNumberOfMessagesNotVisible": "0"})

        eventually(lambda: drained(queue) and drained(tasks), timeout=30)
        assert status() == "PUBLISHED"
    finally:
        runner.stop()
