"""A confluent-kafka group member for rebalance tests; prints JSON of what it saw.

Argument: a JSON object with bootstrap, group, topics, and optionally
  start_delay_s    sleep before joining (so that it joins a group already consuming)
  per_message_s    processing time per message (so that rebalances happen mid-stream)
  idle_s, max_s    stop after idle_s without messages or assignments (once assigned), or after max_s
  resubscribe      {"after_s": N, "topics": [...]}: N seconds after the first assignment, subscribe anew

Commits are explicit and synchronous: in the revocation callback (what a consumer does before it
gives partitions up, while the group prepares the rebalance) and before closing. No periodic
commit, so any commit the coordinator loses shows as messages read twice.

The revocation that close() itself delivers commits nothing: the commit just before close() has
everything. Committing there races librdkafka 2.0.2: when a rebalance's revocation is still queued
for the application at close(), the consumer leaves the group at once and ends its group handling
as soon as LeaveGroup is answered, without waiting for that callback; a commit the callback makes
after that fails with _DESTROY (seen against Tributary and Apache Kafka 4.4 alike whenever the
callback takes a few ms longer than LeaveGroup's round trip; test/compat/README.md).
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException

cfg = json.loads(sys.argv[1])
time.sleep(cfg.get("start_delay_s", 0))
out = {"consumed": [], "assignments": [], "commits": [], "errors": []}


def commit(consumer, why):
    try:
        consumer.commit(asynchronous=False)
        out["commits"].append([why, "ok"])
    except KafkaException as e:
        err = e.args[0]
        # Nothing consumed since the last commit: not an error.
        if err.code() == KafkaError._NO_OFFSET:
            out["commits"].append([why, "nothing"])
        else:
            out["commits"].append([why, err.name()])


def on_assign(consumer, partitions):
    global last
    out["assignments"].append(sorted([p.topic, p.partition] for p in partitions))
    last = time.time()


closing = False


def on_revoke(consumer, partitions):
    if closing:
        out["commits"].append(["revoke in close", "not committed"])
    else:
        commit(consumer, "revoke")


consumer = Consumer({
    "bootstrap.servers": cfg["bootstrap"],
    "group.id": cfg["group"],
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 300,
    "fetch.wait.max.ms": 100,
})
consumer.subscribe(cfg["topics"], on_assign=on_assign, on_revoke=on_revoke)
resubscribe = cfg.get("resubscribe")
first_assigned = None
started = last = time.time()
while time.time() - started < cfg.get("max_s", 60):
    if first_assigned is None and out["assignments"]:
        first_assigned = time.time()
    if resubscribe and first_assigned and time.time() - first_assigned >= resubscribe["after_s"]:
        consumer.subscribe(resubscribe["topics"], on_assign=on_assign, on_revoke=on_revoke)
        resubscribe = None
    msg = consumer.poll(0.1)
    if msg is None:
        # A member that joins when everything is read may get nothing: idle counts from its assignment too.
        if out["assignments"] and time.time() - last > cfg.get("idle_s", 5):
            break
        continue
    if msg.error():
        out["errors"].append(msg.error().name())
        continue
    out["consumed"].append([msg.topic(), msg.partition(), msg.offset()])
    last = time.time()
    time.sleep(cfg.get("per_message_s", 0))
commit(consumer, "close")
closing = True
consumer.close()
print(json.dumps(out))
