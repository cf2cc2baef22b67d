"""A confluent-kafka (librdkafka) consumer of one partition from the beginning, no group, no commits.

argv: bootstrap, topic, expected (stop after this many), max_s. Prints {"progress": n} lines as it
reads (so a test can kill the leader mid-stream), then {"values": [...], "errors": [...]}. A
consumer that lost its position would start again from the beginning: values would repeat.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic, expected, max_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "failover-reader",
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "fetch.wait.max.ms": 200,
    "socket.timeout.ms": 6000,
    "topic.metadata.refresh.interval.ms": 1000,
    "reconnect.backoff.max.ms": 500,
})
consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
values, errors = [], []
started = time.time()
while len(values) < expected and time.time() - started < max_s:
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        errors.append(str(msg.error()))
        continue
    values.append(int(msg.value()))
    if len(values) % 100 == 0:
        print(json.dumps({"progress": len(values)}), flush=True)
consumer.close()
print(json.dumps({"values": values, "errors": errors}), flush=True)
