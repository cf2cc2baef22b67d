"""Produces N messages with confluent-kafka using the librdkafka settings given as JSON; prints {delivered, failed}."""
import json
import sys

from confluent_kafka import Producer

settings, topic, count = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
delivered, failed, errors = [], [], []


def report(err, msg):
    if err is not None:
        failed.append(str(err))
    else:
        delivered.append(msg.offset())


producer = Producer({"acks": "all", "message.timeout.ms": 15000, **settings, "error_cb": lambda e: errors.append(str(e))})
for i in range(count):
    producer.produce(topic, value=f"py-{i}", on_delivery=report)
    producer.poll(0)
producer.flush(20)
print(json.dumps({"delivered": len(delivered), "failed": failed[:3], "errors": errors[:3]}))
