"""confluent-kafka (librdkafka) told the broker is Kafka 0.9 (no ApiVersions): it speaks Produce v1 and
Fetch v1 with magic 0 message sets, ListOffsets v0 and the group APIs' first versions. Produces a
round, consumes it in a group with synchronous commits, and prints what it saw as JSON."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer

bootstrap, topic, group, first, count, compression = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
old = {"bootstrap.servers": bootstrap, "api.version.request": False, "broker.version.fallback": "0.9.0"}

delivered, failed = [], []
producer = Producer({**old, "acks": "all", "compression.type": compression, "linger.ms": 5, "message.timeout.ms": 20000})
for i in range(first, first + count):
    producer.produce(topic, key=f"old-{i}", value=str(i), on_delivery=lambda err, msg: failed.append(str(err)) if err else delivered.append(msg.offset()))
    producer.poll(0)
remaining = producer.flush(30)

consumer = Consumer({**old, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False, "session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
consumer.subscribe([topic])
values, offsets, errors = [], [], []
started = last = time.time()
while time.time() - started < 60:
    msg = consumer.poll(0.2)
    if msg is None:
        if len(values) >= count and time.time() - last > 1.5:
            break
        continue
    if msg.error():
        errors.append(str(msg.error()))
        continue
    values.append(int(msg.value()))
    offsets.append(msg.offset())
    consumer.commit(message=msg, asynchronous=False)
    last = time.time()
consumer.close()
print(json.dumps({"delivered": len(delivered), "failed": failed, "remaining": remaining, "values": values, "offsets": offsets, "errors": errors}))
