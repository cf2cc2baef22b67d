"""Produces numbered messages with an idempotent librdkafka producer (acks=all) until a stop file
appears, then prints every acknowledged (sequence, partition, offset) and every failure as JSON.
argv: bootstrap, topic, tag, stop_file, rate[, JSON of more librdkafka settings, e.g. a SASL login]."""
import json
import os
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, tag, stop_file, rate = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
extra = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
acked, failed = [], []


def report(err, msg):
    if err is not None:
        failed.append(str(err))
    else:
        acked.append([int(msg.value().decode().split(":")[1]), msg.partition(), msg.offset()])


producer = Producer({
    "bootstrap.servers": bootstrap,
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 5,
    # Long enough to ride out a leader failover, a controller failover and a paused follower.
    "message.timeout.ms": 120000,
    "retry.backoff.ms": 100,
    "topic.metadata.refresh.interval.ms": 1000,
    **extra,
})
seq = 0
# Bounded: the test creates the stop file; the deadline only guards against a lost test.
deadline = time.time() + 600
while not os.path.exists(stop_file) and time.time() < deadline:
    producer.produce(topic, key=f"{tag}-{seq % 16}", value=f"{tag}:{seq}", on_delivery=report)
    seq += 1
    producer.poll(0)
    time.sleep(1.0 / rate)
remaining = producer.flush(120)
print(json.dumps({"sent": seq, "acked": acked, "failed": failed, "remaining": remaining}))
