"""`hookhouse consume rabbitmq` against a real RabbitMQ broker (tests/rabbitmq_broker.py).

One broker for the module; each test has its own queues. The consumer is a real process,
`python -m orchestration.cli consume rabbitmq ...`, and what it lands is read back by the real
ingest: every published event must be in bronze (an event's identity is its `event_key`, the
hash of its sorted JSON, which the ingest computes the same way here), nothing else, and the
queue must be empty at the end (nothing ready, nothing unacknowledged). Faults are real too:
SIGKILL of the consumer, a stop and start of the broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from collections.abc import Iterator

import orjson
import polars as pl
import pytest

from orchestration.ingest import ingest
from orchestration.paths import REPO_ROOT, DataHome
from tests.conftest import bronze_table
from tests.rabbitmq_broker import MISSING, Broker, installed
from tests.rabbitmq_consumer import (
    CONSUMER,
    STARTED,
    Consumer,
    declare_exchange,
    delete_queue,
    events,
    free_port,
    key,
    landing_files,
    publish,
    start_consumer,
    wait_until,
)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    if not installed():
        pytest.fail(MISSING)
    node = Broker(tmp_path_factory.mktemp("rabbitmq"))
    try:
        node.start()
        yield node
    finally:
        node.close()


@pytest.fixture(autouse=True)
def _no_consumer_left(broker: Broker) -> Iterator[None]:
    yield
    broker.ensure_running()  # a test that failed with the broker stopped does not fail the next
    while STARTED:
        consumer = STARTED.pop()
        if consumer.process.poll() is None:
            consumer.kill()


def bronze_keys(home: DataHome) -> pl.Series:
    report = ingest(home)
    assert not report.skipped, report.skipped
    rejects = bronze_table(home, "hook_rejects")
    assert rejects.is_empty(), rejects
    return bronze_table(home, "hook_events")["event_key"]


def test_without_a_url_it_exits_2(home):
    env = {k: v for k, v in os.environ.items() if k != "HOOKHOUSE_RABBITMQ_URL"}
    done = subprocess.run(
        [*CONSUMER, "--queue", "q"], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "HOOKHOUSE_RABBITMQ_URL" in done.stderr and "--url" in done.stderr


def test_a_queue_lands_every_event_once_then_is_empty(home, broker):
    singles = events(3000)
    arrays = [events(3, start=10_000 + 3 * n) for n in range(20)]  # a message may be an array
    bodies = [orjson.dumps(obj) for obj in singles] + [orjson.dumps(batch) for batch in arrays]
    publish(broker, bodies, queue="t1.hooks")
    consumer = start_consumer(home, broker, "--queue", "t1.hooks", "--stop-when-idle", "1")
    assert consumer.wait() == 0, consumer.log_text()
    expected = {key(obj) for obj in singles} | {key(obj) for batch in arrays for obj in batch}
    keys = bronze_keys(home)
    assert len(keys) == len(expected) == 3060  # once each: no fault, no redelivery
    assert set(keys.to_list()) == expected
    assert broker.queue_counts("t1.hooks") == (0, 0)
    files = landing_files(home)
    assert files and all(path.parent.parent.name == "t1.hooks" for path in files)
    assert consumer.messages("stopped")[-1]["acked"] == len(bodies)


def test_an_exchange_binding_takes_only_its_routing_keys(home, broker):
    declare_exchange(broker, "t2.altcraft", "topic")
    metrics = free_port()
    consumer = start_consumer(home, broker, "--exchange", "t2.altcraft", "--binding", "*.click",
                              "--metrics-port", str(metrics))  # fmt: skip
    consumer.wait_log("consuming")
    published = events(600)
    routing_keys = [f"{obj['list_id']}.{obj['event_type']}" for obj in published]
    publish(broker, [orjson.dumps(obj) for obj in published], exchange="t2.altcraft",
            routing_keys=routing_keys)  # fmt: skip
    clicks = {key(obj) for obj in published if obj["event_type"] == "click"}
    assert {"111.click", "222.click", "111.open"} <= set(routing_keys)
    wait_until(lambda: consumer.landed_events() >= len(clicks), 30, "the clicks to land")
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=10) as response:
        exposed = response.read().decode()
    queue_label = '{queue="hookhouse.t2.altcraft"}'
    assert f"hookhouse_rabbitmq_acked_total{queue_label} {float(len(clicks))}" in exposed
    assert f"hookhouse_rabbitmq_events_total{queue_label} {float(len(clicks))}" in exposed
    assert consumer.stop() == 0, consumer.log_text()
    assert broker.queue_counts("hookhouse.t2.altcraft") == (0, 0)
    keys = bronze_keys(home)
    assert len(keys) == len(clicks) and set(keys.to_list()) == clicks


def test_a_missing_exchange_is_an_error_unless_its_type_is_given(home, broker):
    missing = start_consumer(home, broker, "--exchange", "t3.none", "--binding", "#")
    assert missing.wait() == 2
    error = missing.records()[-1]
    assert error["level"] == "error" and "'t3.none' does not exist" in error["message"]
    declaring = start_consumer(
        home, broker, "--exchange", "t3.none", "--binding", "#", "--exchange-type", "direct"
    )
    declaring.wait_log("consuming")
    assert declaring.messages("declared the exchange")
    assert declaring.stop() == 0
    publish(broker, [b"{}"], exchange="t3.none", routing_keys=["#"])  # bound: the queue has it
    assert broker.queue_counts("hookhouse.t3.none") == (1, 0)


def run_with_kills(home: DataHome, broker: Broker, queue: str, kill_after: list[int]) -> int:
    """Consume `queue`, SIGKILLing the consumer once `kill_after[i]` more landing files are
    there (or it exits); then drain it. How many kills came while messages were left."""
    mid_stream = 0
    for more in kill_after:
        wanted = len(landing_files(home)) + more
        consumer = start_consumer(home, broker, "--queue", queue, "--prefetch", "40",
                                  "--max-delay", "0.005", name="killed")  # fmt: skip

        def time_to_kill(consumer: Consumer = consumer, wanted: int = wanted) -> bool:
            return len(landing_files(home)) >= wanted or consumer.process.poll() is not None

        wait_until(time_to_kill, 60, "landing files")
        consumer.kill()
        ready, unacked = broker.queue_counts(queue)
        mid_stream += ready + unacked > 0
    final = start_consumer(home, broker, "--queue", queue, "--stop-when-idle", "1")
    assert final.wait() == 0, final.log_text()
    return mid_stream


def test_a_killed_consumer_loses_nothing(home, broker):
    published = events(5000)
    publish(broker, [orjson.dumps(obj) for obj in published], queue="t4.hooks")
    mid_stream = run_with_kills(home, broker, "t4.hooks", [2, 10, 25])
    assert mid_stream == 3  # each kill came while messages were still in the queue
    keys = bronze_keys(home)
    assert set(keys.to_list()) == {key(obj) for obj in published}  # duplicates allowed
    assert broker.queue_counts("t4.hooks") == (0, 0)
    assert not list(home.receiver_landing.rglob("*.tmp"))  # the next writer cleans up


@pytest.mark.stress
def test_many_kills_lose_nothing(home, broker):
    published = events(30_000)
    publish(broker, [orjson.dumps(obj) for obj in published], queue="t4s.hooks")
    run_with_kills(home, broker, "t4s.hooks", [1, 3, 5, 8, 13, 21, 34, 55, 89, 144])
    keys = bronze_keys(home)
    assert set(keys.to_list()) == {key(obj) for obj in published}
    assert broker.queue_counts("t4s.hooks") == (0, 0)


def test_a_broker_restart_loses_nothing(home, broker):
    first, second = events(3000), events(1000, start=3000)
    publish(broker, [orjson.dumps(obj) for obj in first], queue="t5.hooks")
    # Small groups, so that the broker stops while most of the queue is still there.
    consumer = start_consumer(home, broker, "--queue", "t5.hooks", "--prefetch", "10",
                              "--max-delay", "0.005", "--max-backoff", "1")  # fmt: skip
    # A group is logged "landed" once it is durable and acknowledged; a landing file alone may
    # still await its acknowledgement, which the stop below would then cut off.
    consumer.wait_log("landed")
    # The consumer is paused while the broker stops (which takes seconds), so that on a busy
    # machine it cannot drain the queue first: the stop comes mid-stream.
    consumer.process.send_signal(signal.SIGSTOP)
    try:
        broker.stop()
    finally:
        consumer.process.send_signal(signal.SIGCONT)
    consumer.wait_log("lost the connection to the broker; retrying")
    wait_until(lambda: len(consumer.messages("cannot connect to the broker; retrying")) >= 2,
               30, "reconnection attempts")  # fmt: skip
    records = consumer.records()
    lost = records.index(consumer.messages("lost the connection to the broker; retrying")[0])
    landed_before = sum(r["events"] for r in records[:lost] if r["message"] == "landed")
    assert 0 < landed_before < len(first)  # the broker stopped mid-stream
    broker.start()
    publish(broker, [orjson.dumps(obj) for obj in second], queue="t5.hooks")
    wait_until(lambda: len(consumer.messages("consuming")) >= 2, 30, "the consumer to reconnect")
    wait_until(lambda: broker.queue_counts("t5.hooks") == (0, 0), 60, "the queue to drain")
    assert consumer.stop() == 0, consumer.log_text()
    retries = [r for r in consumer.records() if r["message"].endswith("; retrying")]
    assert retries[0]["message"] == "lost the connection to the broker; retrying"
    delays = [retry["retry_in"] for retry in retries]
    assert delays[:2] == [0.5, 1.0] and max(delays) == 1.0  # doubling, capped by --max-backoff
    keys = bronze_keys(home)
    assert set(keys.to_list()) == {key(obj) for obj in first + second}
    assert broker.queue_counts("t5.hooks") == (0, 0)


def test_an_unavailable_landing_is_never_acknowledged(home, broker):
    published = events(50)
    blocker = home.receiver_landing / "rabbitmq" / "t9.hooks"  # a file where the folder goes
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"")
    publish(broker, [orjson.dumps(obj) for obj in published], queue="t9.hooks")
    held = start_consumer(home, broker, "--queue", "t9.hooks", "--max-backoff", "1")
    held.wait_log("landing unavailable; the group is held, not acked")
    assert broker.queue_counts("t9.hooks") == (0, 50)  # held, unacknowledged
    assert held.stop() == 0, held.log_text()
    assert held.messages("gave the group back to the broker unlanded")
    assert broker.queue_counts("t9.hooks") == (50, 0)  # given back, not acknowledged
    retried = start_consumer(home, broker, "--queue", "t9.hooks", "--max-backoff", "1")
    retried.wait_log("landing unavailable; the group is held, not acked")
    blocker.unlink()  # the disk is back
    wait_until(lambda: broker.queue_counts("t9.hooks") == (0, 0), 30, "the group to land")
    assert retried.stop() == 0, retried.log_text()
    assert retried.messages("stopped")[-1]["acked"] == 50
    keys = bronze_keys(home)
    assert len(keys) == 50 and set(keys.to_list()) == {key(obj) for obj in published}


def test_bodies_that_are_not_json_are_quarantined_and_acknowledged(home, broker):
    good = events(200)
    bad = [b"this is not JSON {", b'\xff\xfe{"event_type": "click"}', b"42"]
    publish(broker, [orjson.dumps(obj) for obj in good[:100]], queue="t6.hooks")
    publish(broker, list(bad), queue="t6.hooks",
            headers={"x-trace": "t-1", "Authorization": "Bearer hidden-token-1"})  # fmt: skip
    publish(broker, [orjson.dumps(obj) for obj in good[100:]], queue="t6.hooks")
    consumer = start_consumer(home, broker, "--queue", "t6.hooks", "--stop-when-idle", "1")
    assert consumer.wait() == 0, consumer.log_text()
    assert broker.queue_counts("t6.hooks") == (0, 0)
    kept = sorted((home.quarantine / "rabbitmq").rglob("*.body"))
    assert sorted(path.read_bytes() for path in kept) == sorted(bad)
    for path in kept:
        about = orjson.loads(path.with_suffix(".json").read_bytes())
        assert about["queue"] == "t6.hooks" and about["routing_key"] == "t6.hooks"
        assert about["headers"] == {"x-trace": "t-1", "Authorization": "[redacted]"}
        assert about["message_id"].startswith("m")
        body = path.read_bytes()
        if body.startswith(b"\xff"):
            assert "not UTF-8" in about["reason"]
        elif body == b"42":
            assert "not a number" in about["reason"]
        else:
            assert "not JSON" in about["reason"]
    assert "hidden-token-1" not in consumer.log_text()
    keys = bronze_keys(home)
    assert len(keys) == 200 and set(keys.to_list()) == {key(obj) for obj in good}


def test_a_stop_lands_and_acknowledges_what_is_in_hand(home, broker):
    published = events(300)
    publish(broker, [orjson.dumps(obj) for obj in published], queue="t7.hooks")
    # A group gathers for 60 s: the messages are all in hand, unacknowledged, at the signal.
    consumer = start_consumer(home, broker, "--queue", "t7.hooks", "--max-delay", "60")
    wait_until(lambda: broker.queue_counts("t7.hooks") == (0, 300), 30, "300 in hand")
    assert not landing_files(home)
    assert consumer.stop(timeout=20) == 0, consumer.log_text()
    assert broker.queue_counts("t7.hooks") == (0, 0)
    keys = bronze_keys(home)
    assert len(keys) == 300 and set(keys.to_list()) == {key(obj) for obj in published}


def test_a_deleted_queue_is_declared_again(home, broker):
    consumer = start_consumer(home, broker, "--queue", "t10.hooks", "--max-backoff", "1")
    consumer.wait_log("consuming")
    assert consumer.messages("declared the queue (durable)")  # it did not exist
    delete_queue(broker, "t10.hooks")
    wait_until(lambda: len(consumer.messages("consuming")) == 2, 30, "consuming again")
    assert "cancelled the consumer" in consumer.messages(
        "lost the connection to the broker; retrying")[0]["error"]  # fmt: skip
    published = events(20)
    publish(broker, [orjson.dumps(obj) for obj in published], queue="t10.hooks")
    wait_until(lambda: consumer.landed_events() == 20, 30, "the events to land")
    assert consumer.stop() == 0
    assert set(bronze_keys(home).to_list()) == {key(obj) for obj in published}


def test_the_password_never_appears_in_the_log(home, broker):
    # On the command line (where it should not be), with a wrong password, and unreachable.
    on_command_line = start_consumer(home, broker, "--url", broker.url, "--queue", "t8.hooks")
    on_command_line.wait_log("consuming")
    assert on_command_line.stop() == 0
    wrong = broker.url.replace(broker.password, "wrong-password-98765")
    refused = start_consumer(home, broker, "--queue", "t8.hooks", url=wrong)
    assert refused.wait() == 2
    assert refused.messages("the broker refused the connection (credentials or virtual host)")
    unreachable = broker.url.replace(f":{broker.port}/", f":{free_port()}/")
    retrying = start_consumer(home, broker, "--queue", "t8.hooks", url=unreachable)
    retrying.wait_log("cannot connect to the broker; retrying")
    assert retrying.stop() == 0
    for consumer, password in [
        (on_command_line, broker.password),
        (refused, "wrong-password-98765"),
        (retrying, broker.password),
    ]:
        text = consumer.log_text()
        assert password not in text
        assert all(record["broker"].startswith("amqp://hookhouse@127.0.0.1:")
                   for record in consumer.records() if "broker" in record)  # fmt: skip
