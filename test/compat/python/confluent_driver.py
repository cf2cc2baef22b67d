"""confluent-kafka for Python from PyPI (its wheel carries a current librdkafka, 2.16 here; Debian's
python3-confluent-kafka carries librdkafka 2.0) driven by test/compat/client-scenarios.ts: one scenario
step per command, the observations printed as JSON on stdout (one object, or JSON lines for the
long-running commands). Kafka errors are reported as Kafka's numeric error codes.

    confluent_driver.py [--group-protocol classic|consumer] COMMAND ARGS...
    confluent_driver.py admin BOOTSTRAP TOPIC REPLICATION
    confluent_driver.py produce BOOTSTRAP TOPIC COUNT CODEC
    confluent_driver.py consume BOOTSTRAP TOPIC COUNT
    confluent_driver.py times BOOTSTRAP TOPIC BASE_MS
    confluent_driver.py steady-produce BOOTSTRAP TOPIC TAG STOP_FILE RATE
    confluent_driver.py group-member BOOTSTRAP TOPIC GROUP STOP_FILE

--group-protocol consumer makes group-member a KIP-848 member (librdkafka's group.protocol=consumer);
the default is the classic protocol.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions, NewTopic, ResourceType

import driver_support
from driver_support import out

GROUP_PROTOCOL = "classic"


def code_of(err):
    """Kafka's error code of a client exception or KafkaError (-1 for an error that is not a Kafka one)."""
    if isinstance(err, KafkaException) and err.args and isinstance(err.args[0], KafkaError):
        err = err.args[0]
    if isinstance(err, KafkaError):
        code = err.code()
        return code if code >= 0 else -1
    return -1


def wait_until(what, fn, timeout=30):
    """driver_support.wait_until, retrying this client's errors."""
    return driver_support.wait_until(what, fn, KafkaException, timeout)


def outcome(future):
    """0 when an admin future succeeds, else the Kafka error code it failed with."""
    try:
        future.result()
        return 0
    except KafkaException as err:
        return code_of(err)


def topic_configs(admin, topic, names):
    entries = admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)])
    found = next(iter(entries.values())).result()
    return {name: found[name].value for name in names if name in found}


def partition_count(admin, topic):
    t = admin.list_topics(topic, timeout=10).topics.get(topic)
    return len(t.partitions) if t is not None and t.error is None else None


def listed(admin, topic):
    return topic in admin.list_topics(timeout=10).topics


def admin_cmd(bootstrap, topic, replication):
    admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "confluent-admin"})
    rf = int(replication)
    obs = {}
    obs["create"] = outcome(admin.create_topics([NewTopic(topic, 3, rf, config={"retention.ms": "3600000", "cleanup.policy": "delete"})])[topic])
    obs["createAgain"] = outcome(admin.create_topics([NewTopic(topic, 3, rf)])[topic])
    obs["createZeroPartitions"] = outcome(admin.create_topics([NewTopic(topic + "-bad", 0, rf)])[topic + "-bad"])
    obs["listed"] = listed(admin, topic)
    obs["partitions"] = wait_until("the topic in metadata", lambda: partition_count(admin, topic))
    obs["configs"] = topic_configs(admin, topic, ["retention.ms", "cleanup.policy"])
    changes = [ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET), ConfigEntry("max.message.bytes", "2000000", incremental_operation=AlterConfigOpType.SET)]
    for f in admin.incremental_alter_configs([ConfigResource(ResourceType.TOPIC, topic, incremental_configs=changes)]).values():
        f.result()
    # Kafka applies a config change through its metadata log: a describe right after the alter may
    # still show the old value there, so read until the change shows (or report what is there).
    wanted = {"retention.ms": "7200000", "max.message.bytes": "2000000"}
    try:
        wait_until("the altered configs", lambda: wanted if topic_configs(admin, topic, list(wanted)) == wanted else None, timeout=15)
    except TimeoutError:
        pass
    obs["configsAltered"] = topic_configs(admin, topic, list(wanted))
    admin.create_partitions([NewPartitions(topic, 5)])[topic].result()
    obs["partitionsAfterCreate"] = wait_until("5 partitions", lambda: (lambda n: n if n == 5 else None)(partition_count(admin, topic)))
    obs["shrinkPartitions"] = outcome(admin.create_partitions([NewPartitions(topic, 2)])[topic])
    admin.delete_topics([topic])[topic].result()
    obs["listedAfterDelete"] = wait_until("the topic gone", lambda: False if not listed(admin, topic) else None)
    obs["deleteAgain"] = outcome(admin.delete_topics([topic])[topic])
    out(obs)


def produce_cmd(bootstrap, topic, count, codec):
    # librdkafka's producer is not idempotent unless asked (unlike Kafka's Java client since 3.0): ask,
    # as an application that wants exactly-once per partition does; acks=all follows from it.
    # Its producer id is not in its API; its statistics carry it (eos.producer_id).
    stats = {}
    producer = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 5, "enable.idempotence": True,
                         "statistics.interval.ms": 100, "stats_cb": lambda s: stats.update(json.loads(s).get("eos", {}))})
    acked, failed = [0], []

    def delivered(err, _msg):
        if err is None:
            acked[0] += 1
        else:
            failed.append(code_of(err))

    for i in range(int(count)):
        producer.produce(topic, key=f"k-{i}".encode(), value=f"{codec}-{i}".encode(), headers=[("n", str(i).encode())], on_delivery=delivered)
        producer.poll(0)
    producer.flush(60)
    deadline = time.time() + 10
    while stats.get("producer_id", -1) < 0 and time.time() < deadline:
        producer.poll(0.1)  # serves stats_cb
    out({"acked": acked[0], "failed": failed, "producerId": stats.get("producer_id", -1)})


def consume_cmd(bootstrap, topic, count):
    """Reads COUNT records from the beginning of every partition (assigned, no group)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "confluent-driver-reader", "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    parts = wait_until("partitions", lambda: (lambda t: sorted(t.partitions) if t is not None and t.partitions else None)(consumer.list_topics(topic, timeout=10).topics.get(topic)))
    consumer.assign([TopicPartition(topic, p, 0) for p in parts])
    records = []
    deadline = time.time() + 60
    while len(records) < int(count) and time.time() < deadline:
        for m in consumer.consume(500, 0.5):
            if m.error():
                continue
            records.append([m.partition(), m.offset(), m.key().decode(), m.value().decode(), [[k, v.decode()] for k, v in (m.headers() or [])]])
    consumer.close()
    out({"records": records})


def times_cmd(bootstrap, topic, base_ms):
    """Ten records with timestamps base+0s..base+9s in one batch to partition 0, then offsets by time."""
    base = int(base_ms)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 100})
    for i in range(10):
        producer.produce(topic, value=f"t-{i}".encode(), partition=0, timestamp=base + i * 1000)
    producer.flush(30)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "confluent-driver-times", "enable.auto.commit": False})
    queries = {"before": base - 1, "first": base, "between": base + 3500, "last": base + 9000, "after": base + 10000}
    found = {}
    for name, ts in queries.items():
        answer = consumer.offsets_for_times([TopicPartition(topic, 0, ts)], timeout=10)[0]
        # The answer is an offset alone (-1: no record that late); the record's own time is read back.
        found[name] = None if answer.offset < 0 else [answer.offset, timestamp_at(consumer, topic, answer.offset)]
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    found["beginning"] = low
    found["end"] = high
    consumer.close()
    out(found)


def timestamp_at(consumer, topic, offset):
    consumer.assign([TopicPartition(topic, 0, offset)])
    deadline = time.time() + 10
    while time.time() < deadline:
        m = consumer.poll(0.5)
        if m is not None and not m.error():
            return m.timestamp()[1]
    raise TimeoutError(f"no record at offset {offset}")


def steady_produce_cmd(bootstrap, topic, tag, stop_file, rate):
    """Numbered messages until the stop file appears; every acknowledged (sequence, partition, offset)."""
    acked, failed = [], []
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True, "retry.backoff.ms": 100, "delivery.timeout.ms": 120000,
                         "request.timeout.ms": 10000, "topic.metadata.refresh.interval.ms": 1000})

    def delivered(seq):
        def cb(err, msg):
            if err is None:
                acked.append([seq, msg.partition(), msg.offset()])
            else:
                failed.append(str(err))
        return cb

    seq = 0
    deadline = time.time() + 600  # Bounded by the stop file; this only guards against a lost test.
    while not os.path.exists(stop_file) and time.time() < deadline:
        producer.produce(topic, key=f"{tag}-{seq % 16}".encode(), value=f"{tag}:{seq}".encode(), on_delivery=delivered(seq))
        seq += 1
        producer.poll(0)
        time.sleep(1.0 / int(rate))
    producer.flush(120)
    out({"sent": seq, "acked": acked, "failed": failed, "remaining": seq - len(acked) - len(failed)})


def group_member_cmd(bootstrap, topic, group, stop_file):
    """A member of GROUP: polls, commits synchronously after each batch, prints what it committed, and
    leaves the group (close) when the stop file appears; revocations commit what was read first."""
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 5000, "client.id": f"confluent-{os.getpid()}", "group.protocol": GROUP_PROTOCOL}
    if GROUP_PROTOCOL == "classic":
        # The KIP-848 protocol takes these from the broker (group.consumer.session.timeout.ms ...).
        conf.update({"session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
    consumer = Consumer(conf)

    # The callbacks run before the change applies (the library assigns after on_assign returns), and
    # with an incremental protocol (KIP-848) they name only the partitions added or taken away.
    def on_assign(c, partitions):
        out({"event": "assigned", "partitions": sorted({tp.partition for tp in c.assignment()} | {tp.partition for tp in partitions})})

    def on_revoke(c, partitions):
        try:
            c.commit(asynchronous=False)
        except KafkaException as err:
            if code_of(err) != KafkaError._NO_OFFSET:
                sys.stderr.write(f"commit on revoke: {err}\n")
        out({"event": "revoked", "partitions": sorted(tp.partition for tp in partitions)})
        out({"event": "assigned", "partitions": sorted({tp.partition for tp in c.assignment()} - {tp.partition for tp in partitions})})

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    driver_support.member_loop(
        stop_file,
        lambda: [[m.partition(), m.offset(), m.value().decode()] for m in consumer.consume(100, 0.2) if not m.error()],
        lambda: consumer.commit(asynchronous=False),
        KafkaException,
    )
    consumer.close()
    out({"event": "closed"})


COMMANDS = {"admin": admin_cmd, "produce": produce_cmd, "consume": consume_cmd, "times": times_cmd, "steady-produce": steady_produce_cmd, "group-member": group_member_cmd}

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--group-protocol":
        GROUP_PROTOCOL = args[1]
        args = args[2:]
    driver_support.main(__doc__, COMMANDS, args)
