"""Waiting on the shared encoder worker: a fresh queue when it starts, and a failed wait that
says where each upload's encode stood (its job's state and reason, the queues' depths)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalicelib.jobs.models import JobModel
from chalicelib.platform.resources import Resources
from tests.support import eventually


def empty_encode_queues(resources: Resources) -> None:
    """Drop what earlier tests of this worker left on its encode queues (an upload made with
    no encoder running, a stopped worker's message coming back): a test's encoder then works
    only the uploads of the test that started it."""
    settings = resources.settings
    sqs = resources.sqs
    for name in (settings.encode_queue, settings.encode_tasks_queue):
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        # received and deleted (SQS allows one PurgeQueue a minute, tests start more often)
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=0).get("Messages", []):
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)])


def where_encodes_stand(resources: Resources, keys: Iterable[str]) -> str:
    settings = resources.settings
    jobs = [f"{key}: " + (", ".join(
        f"{job.status} (attempts {int(job.attempts)}, progress {job.progress}, "
        f"error {job.error!r})" for job in JobModel.by_key.query(key)) or "no job")
        for key in keys]
    depths = []
    for name in (settings.encode_queue, settings.encode_tasks_queue):
        url = resources.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = resources.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        depths.append(f"{name}: {attributes['Attributes']}")
    return "; ".join(jobs + depths)


def wait_for_encodes(resources: Resources, keys: Iterable[str], done: Callable[[], bool],
                     timeout: float) -> None:
    """Poll `done` until it holds; failing, name each upload's job state and the queues."""
    try:
        eventually(done, timeout=timeout, interval=1.0)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {where_encodes_stand(resources, keys)}") from None
