"""A confluent-kafka group member: consumes until idle, commits what it processed, prints JSON."""
import json
import sys
import time

from confluent_kafka import Consumer

bootstrap, topic, group, idle_s, max_s = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 500,
})
consumer.subscribe([topic])
values, assigned, errors = [], set(), []
started = last = time.time()
while time.time() - started < max_s:
    msg = consumer.poll(0.2)
    if msg is None:
        if values and time.time() - last > idle_s:
            break
        continue
    if msg.error():
        errors.append(str(msg.error()))
        continue
    values.append(int(msg.value()))
    assigned.add(msg.partition())
    consumer.commit(message=msg, asynchronous=False)
    last = time.time()
consumer.close()
print(json.dumps({"values": values, "partitions": sorted(assigned), "errors": errors}))
