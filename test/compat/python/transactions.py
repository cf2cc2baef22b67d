"""librdkafka's transactional producer (confluent-kafka): commit, abort, commit with
send_offsets_to_transaction, a zombie fenced by a successor with the same transactional.id, then
read_committed and read_uncommitted consumers to the partitions' ends. Prints one JSON object.
Args: bootstrap, topic (2 partitions, created by the caller), transactional id, group."""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

bootstrap, topic, txid, group = sys.argv[1:5]
conf = {"bootstrap.servers": bootstrap, "transactional.id": txid, "transaction.timeout.ms": 60000}


def send(p, values, partition=None):
    for v in values:
        if partition is None:
            p.produce(topic, key=v, value=v)
        else:
            p.produce(topic, key=v, value=v, partition=partition)
    p.flush(30)


p = Producer(conf)
p.init_transactions(60)
p.begin_transaction()
send(p, ["c1", "c2", "c3"])
p.commit_transaction(60)
p.begin_transaction()
send(p, ["a1", "a2"])
p.abort_transaction(60)
member = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
p.begin_transaction()
send(p, ["c4"], 0)
p.send_offsets_to_transaction([TopicPartition(topic, 0, 7)], member.consumer_group_metadata(), 60)
p.commit_transaction(60)
member.close()

# The zombie: its transaction runs when a successor with the same transactional id starts.
p.begin_transaction()
send(p, ["z1"], 1)
successor = Producer(conf)
successor.init_transactions(60)
zombie_error = None
try:
    p.commit_transaction(30)
except KafkaException as e:
    zombie_error = e.args[0].name()
successor.begin_transaction()
send(successor, ["s1"], 1)
successor.commit_transaction(60)


def read_to_end(isolation):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{group}-{isolation}", "isolation.level": isolation, "enable.partition.eof": True, "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, -2) for p in (0, 1)])
    values, eof, deadline = [], set(), time.time() + 60
    while len(eof) < 2 and time.time() < deadline:
        msg = c.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == -191:  # _PARTITION_EOF
                eof.add(msg.partition())
            continue
        values.append(msg.value().decode())
    c.close()
    return sorted(values)


reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
committed = reader.committed([TopicPartition(topic, 0)], 30)[0].offset
reader.close()
print(json.dumps({"zombieError": zombie_error, "readCommitted": read_to_end("read_committed"), "readUncommitted": read_to_end("read_uncommitted"), "groupOffset": committed}))
