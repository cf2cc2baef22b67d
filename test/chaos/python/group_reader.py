"""A confluent-kafka (librdkafka) consumer-group member that reads a topic from the beginning until a
stop file appears, committing as it goes (auto-commit), and prints every record it got as a line
"partition offset value" on stdout as it reads (the test counts them while it waits).

argv[1] is a JSON object: bootstrap, topic, group, stop_file, max_s, config (more librdkafka
settings, e.g. security.protocol and a SCRAM login). Errors the consumer reports go to stderr as
"error ..." lines; the test fails on none of them by itself (a moving leader is reported as an error
the consumer rides out), it checks what was read.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer

opts = json.loads(sys.argv[1])
consumer = Consumer({
    "bootstrap.servers": opts["bootstrap"],
    "group.id": opts["group"],
    "auto.offset.reset": "earliest",
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 500,
    "session.timeout.ms": 30000,
    "heartbeat.interval.ms": 1000,
    "topic.metadata.refresh.interval.ms": 1000,
    **opts.get("config", {}),
})
consumer.subscribe([opts["topic"]])
started = time.time()
# Bounded by the stop file; max_s only guards against a lost test.
while time.time() - started < opts["max_s"] and not os.path.exists(opts["stop_file"]):
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        print(f"error {msg.error()}", file=sys.stderr, flush=True)
    else:
        print(f"{msg.partition()} {msg.offset()} {msg.value().decode()}", flush=True)
consumer.close()
