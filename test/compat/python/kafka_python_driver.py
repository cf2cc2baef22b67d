"""kafka-python (PyPI) driven by test/compat/client-scenarios.ts: one scenario step per command, the
observations printed as JSON on stdout (one object, or JSON lines for the long-running commands).
Kafka errors are reported as Kafka's numeric error codes so the test compares them across clients.

    kafka_python_driver.py admin BOOTSTRAP TOPIC REPLICATION
    kafka_python_driver.py produce BOOTSTRAP TOPIC COUNT CODEC
    kafka_python_driver.py consume BOOTSTRAP TOPIC COUNT
    kafka_python_driver.py times BOOTSTRAP TOPIC BASE_MS
    kafka_python_driver.py steady-produce BOOTSTRAP TOPIC TAG STOP_FILE RATE
    kafka_python_driver.py group-member BOOTSTRAP TOPIC GROUP STOP_FILE
"""
import logging
import os
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import AlterConfigOp, ConfigResource, ConfigResourceType
from kafka.admin._partitions import NewPartitions
from kafka.admin._topics import NewTopic
from kafka.errors import KafkaError

import driver_support
from driver_support import out


def code_of(err):
    """Kafka's error code of a client exception (-1 for an error that is not a Kafka one)."""
    return getattr(err, "errno", None) if isinstance(err, KafkaError) and getattr(err, "errno", None) is not None else -1


def wait_until(what, fn, timeout=30):
    """driver_support.wait_until, retrying this client's errors."""
    return driver_support.wait_until(what, fn, KafkaError, timeout)


def topic_configs(admin, topic, names):
    res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
    entries = res["topic"][topic]
    return {name: (entries[name]["value"] if isinstance(entries[name], dict) else entries[name]) for name in names if name in entries}


def partition_count(admin, topic):
    described = admin.describe_topics([topic])
    return len(described[0]["partitions"]) if described and described[0]["error_code"] == 0 else None


def admin_cmd(bootstrap, topic, replication):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kafka-python-admin", request_timeout_ms=30000)
    obs = {}
    try:
        try:
            admin.create_topics([NewTopic(topic, 3, int(replication), topic_configs={"retention.ms": "3600000", "cleanup.policy": "delete"})])
            obs["create"] = 0
        except KafkaError as err:
            obs["create"] = code_of(err)
        try:
            admin.create_topics([NewTopic(topic, 3, int(replication))])
            obs["createAgain"] = 0
        except KafkaError as err:
            obs["createAgain"] = code_of(err)
        try:
            admin.create_topics([NewTopic(topic + "-bad", 0, int(replication))])
            obs["createZeroPartitions"] = 0
        except KafkaError as err:
            obs["createZeroPartitions"] = code_of(err)
        obs["listed"] = topic in admin.list_topics()
        obs["partitions"] = wait_until("the topic in metadata", lambda: partition_count(admin, topic))
        obs["configs"] = topic_configs(admin, topic, ["retention.ms", "cleanup.policy"])
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": (AlterConfigOp.SET, "7200000"), "max.message.bytes": (AlterConfigOp.SET, "2000000")})])
        # Kafka applies a config change through its metadata log: a describe right after the alter may
        # still show the old value, so read until the change shows (or report what is there).
        wanted = {"retention.ms": "7200000", "max.message.bytes": "2000000"}
        try:
            wait_until("the altered configs", lambda: wanted if topic_configs(admin, topic, list(wanted)) == wanted else None, timeout=15)
        except TimeoutError:
            pass
        obs["configsAltered"] = topic_configs(admin, topic, list(wanted))
        admin.create_partitions({topic: NewPartitions(total_count=5)})
        obs["partitionsAfterCreate"] = wait_until("5 partitions", lambda: (lambda n: n if n == 5 else None)(partition_count(admin, topic)))
        try:
            admin.create_partitions({topic: NewPartitions(total_count=2)})
            obs["shrinkPartitions"] = 0
        except KafkaError as err:
            obs["shrinkPartitions"] = code_of(err)
        admin.delete_topics([topic])
        obs["listedAfterDelete"] = wait_until("the topic gone", lambda: False if topic not in admin.list_topics() else None)
        try:
            admin.delete_topics([topic])
            obs["deleteAgain"] = 0
        except KafkaError as err:
            obs["deleteAgain"] = code_of(err)
    finally:
        admin.close()
    out(obs)


CODECS = {"none": None, "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"}


def produce_cmd(bootstrap, topic, count, codec):
    # Defaults otherwise: kafka-python 3 is idempotent with acks=all by default (KIP-679).
    producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type=CODECS[codec], linger_ms=5)
    futures = [producer.send(topic, key=f"k-{i}".encode(), value=f"{codec}-{i}".encode(), headers=[("n", str(i).encode())]) for i in range(int(count))]
    producer.flush(60)
    acked, failed = 0, []
    for f in futures:
        try:
            f.get(timeout=0)
            acked += 1
        except KafkaError as err:
            failed.append(code_of(err))
    pid = producer._transaction_manager.producer_id_and_epoch.producer_id if producer._transaction_manager else -1
    producer.close()
    out({"acked": acked, "failed": failed, "producerId": pid})


def consume_cmd(bootstrap, topic, count):
    """Reads COUNT records from the beginning of every partition (assigned, no group)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    parts = wait_until("partitions", lambda: consumer.partitions_for_topic(topic) or None)
    consumer.assign([TopicPartition(topic, p) for p in sorted(parts)])
    records = []
    deadline = time.time() + 60
    while len(records) < int(count) and time.time() < deadline:
        for tp, batch in consumer.poll(timeout_ms=500).items():
            for r in batch:
                records.append([tp.partition, r.offset, r.key.decode(), r.value.decode(), [[k, v.decode()] for k, v in r.headers]])
    consumer.close()
    out({"records": records})


def times_cmd(bootstrap, topic, base_ms):
    """Ten records with timestamps base+0s..base+9s in one batch to partition 0, then offsets by time."""
    base = int(base_ms)
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=100)
    for i in range(10):
        producer.send(topic, value=f"t-{i}".encode(), partition=0, timestamp_ms=base + i * 1000)
    producer.flush(30)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    queries = {"before": base - 1, "first": base, "between": base + 3500, "last": base + 9000, "after": base + 10000}
    found = {}
    for name, ts in queries.items():
        answer = consumer.offsets_for_times({tp: ts})[tp]
        found[name] = None if answer is None else [answer.offset, answer.timestamp]
    found["beginning"] = consumer.beginning_offsets([tp])[tp]
    found["end"] = consumer.end_offsets([tp])[tp]
    consumer.close()
    out(found)


def steady_produce_cmd(bootstrap, topic, tag, stop_file, rate):
    """Numbered messages until the stop file appears; every acknowledged (sequence, partition, offset)."""
    acked, failed = [], []
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, retry_backoff_ms=100, delivery_timeout_ms=120000, request_timeout_ms=10000, metadata_max_age_ms=1000)

    def on_ok(seq):
        return lambda md: acked.append([seq, md.partition, md.offset])

    def on_err(err):
        failed.append(str(err))

    seq = 0
    deadline = time.time() + 600  # Bounded by the stop file; this only guards against a lost test.
    while not os.path.exists(stop_file) and time.time() < deadline:
        producer.send(topic, key=f"{tag}-{seq % 16}".encode(), value=f"{tag}:{seq}".encode()).add_callback(on_ok(seq)).add_errback(on_err)
        seq += 1
        time.sleep(1.0 / int(rate))
    producer.flush(120)
    producer.close()
    out({"sent": seq, "acked": acked, "failed": failed, "remaining": seq - len(acked) - len(failed)})


def group_member_cmd(bootstrap, topic, group, stop_file):
    """A member of GROUP: polls, commits synchronously after each batch, prints what it committed, and
    leaves the group (close) when the stop file appears.

    Auto-commit is on only for what it adds to the explicit commits: kafka-python then commits what
    was consumed before it gives partitions up in a rebalance (a synchronous rebalance listener may
    not call the blocking commit()), and logs a refused pre-rebalance commit as a warning."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=True, auto_commit_interval_ms=600000, auto_offset_reset="earliest",
                             session_timeout_ms=10000, heartbeat_interval_ms=500, max_poll_records=100, metadata_max_age_ms=5000, client_id=f"kafka-python-{os.getpid()}")
    from kafka.consumer.subscription_state import ConsumerRebalanceListener

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            out({"event": "revoked", "partitions": sorted(tp.partition for tp in revoked)})

        def on_partitions_assigned(self, assigned):
            out({"event": "assigned", "partitions": sorted(tp.partition for tp in assigned)})

    # kafka-python 3.0.12 can join before its metadata has the topic; as group leader it then assigns
    # nothing ("No partition metadata for topic") and does not rejoin until a metadata refresh (seen
    # against Apache Kafka 4.4 as much as against Tributary). Knowing the topic first avoids that; the
    # short metadata age makes a refresh, and the rejoin it causes, come soon in any case.
    wait_until("the topic in the consumer's metadata", lambda: consumer.partitions_for_topic(topic) or None)
    consumer.subscribe([topic], listener=Listener())
    # One metadata refresh after subscribing, so that the leader's first assignment is made with a
    # metadata snapshot of the subscribed topic. Otherwise kafka-python 3.0.12 rejoins at its next
    # refresh (snapshot {} -> the topic's partitions), and it loses that rejoin when poll()'s budget
    # runs out between the JoinGroup answer and the SyncGroup answer: need_rejoin() is then False,
    # the SyncGroup result is never applied, the revoked partitions stay revoked and heartbeats stay
    # off, so the member reads nothing for good. Seen on the 3-broker cluster under load, where a
    # replicated pre-rebalance commit (360 ms) spent the 200 ms budget; the member's debug log had
    # the SyncGroup answer and no assignment after it. A client defect: the broker answered every step.
    consumer.topics()
    driver_support.member_loop(
        stop_file,
        lambda: [[tp.partition, r.offset, r.value.decode()] for tp, batch in consumer.poll(timeout_ms=200).items() for r in batch],
        consumer.commit,
        KafkaError,
    )
    consumer.close()
    out({"event": "closed"})


COMMANDS = {"admin": admin_cmd, "produce": produce_cmd, "consume": consume_cmd, "times": times_cmd, "steady-produce": steady_produce_cmd, "group-member": group_member_cmd}

if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s %(levelname)s: %(message)s")
    driver_support.main(__doc__, COMMANDS, sys.argv[1:])
