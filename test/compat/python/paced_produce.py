"""Produces N messages with confluent-kafka, one every INTERVAL seconds (a long-lived connection), with
the librdkafka settings given as JSON; prints {delivered, failed, errors}."""
import json
import sys
import time

from confluent_kafka import Producer

settings, topic, count, interval = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
delivered, failed, errors = [], [], []


def report(err, msg):
    if err is not None:
        failed.append(str(err))
    else:
        delivered.append(msg.offset())


producer = Producer({"acks": "all", "enable.idempotence": True, "message.timeout.ms": 30000, **settings, "error_cb": lambda e: errors.append(str(e))})
for i in range(count):
    producer.produce(topic, key=f"k{i}", value=f"v{i}", on_delivery=report)
    producer.poll(0)
    time.sleep(interval)  # pacing of the load, not synchronisation
producer.flush(30)
print(json.dumps({"delivered": len(delivered), "failed": failed[:3], "errors": errors[:3]}))
