"""Produces N keyed messages with confluent-kafka (librdkafka) and prints the delivery outcome as JSON."""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, count, compression = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
idempotent = len(sys.argv) > 5 and sys.argv[5] == "idempotent"
delivered, failed = [], []


def report(err, msg):
    if err is not None:
        failed.append(str(err))
    else:
        delivered.append(msg.offset())


producer = Producer({
    "bootstrap.servers": bootstrap,
    "acks": "all",
    "compression.type": compression,
    "linger.ms": 5,
    "message.timeout.ms": 20000,
    "enable.idempotence": idempotent,
})
for i in range(count):
    producer.produce(topic, key=f"py-{i}", value=f"value-{i}", headers=[("lang", b"python")], on_delivery=report)
    producer.poll(0)
remaining = producer.flush(30)
print(json.dumps({"delivered": len(delivered), "failed": failed, "remaining": remaining, "max_offset": max(delivered) if delivered else -1}))
