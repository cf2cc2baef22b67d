"""A confluent-kafka group member that reports its rebalance events as JSON lines on stdout.

argv[1] is a JSON object: bootstrap, topic, group, strategy (partition.assignment.strategy),
instance (group.instance.id or null), session_ms, stop_file (the member closes when it appears),
max_s. Lines: {"event": "assign"|"revoke", "partitions": [...]} as the callbacks
run, {"event": "consumed", "value": n} per message, and {"event": "closed", "values": [...]} last.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer

opts = json.loads(sys.argv[1])


def say(**event):
    event["t"] = time.time()
    print(json.dumps(event), flush=True)


config = {
    "bootstrap.servers": opts["bootstrap"],
    "group.id": opts["group"],
    "auto.offset.reset": "earliest",
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 200,
    "session.timeout.ms": opts["session_ms"],
    "heartbeat.interval.ms": 500,
    "partition.assignment.strategy": opts["strategy"],
}
if opts.get("instance"):
    config["group.instance.id"] = opts["instance"]
consumer = Consumer(config)


def on_assign(c, partitions):
    say(event="assign", partitions=sorted(p.partition for p in partitions))


def on_revoke(c, partitions):
    say(event="revoke", partitions=sorted(p.partition for p in partitions))


consumer.subscribe([opts["topic"]], on_assign=on_assign, on_revoke=on_revoke)
values, errors = [], []
started = time.time()
while time.time() - started < opts["max_s"] and not os.path.exists(opts["stop_file"]):
    msg = consumer.poll(0.2)
    if msg is not None:
        if msg.error():
            errors.append(str(msg.error()))
        else:
            values.append(int(msg.value()))
            say(event="consumed", value=values[-1])
consumer.close()
say(event="closed", values=values, errors=errors)
