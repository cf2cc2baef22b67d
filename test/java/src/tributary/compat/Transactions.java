package tributary.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Transactions as a Java application uses them: a transactional producer commits, aborts, and
 * commits again with consumer offsets (sendOffsetsToTransaction); a second producer with the same
 * transactional.id fences the first one while its transaction runs (the first one's commit must
 * fail); then read_committed and read_uncommitted consumers read the topic to its end (the end
 * offsets their isolation sees), and the group's committed offset is read back.
 * Args: bootstrap, topic, transactional id, group.
 */
public final class Transactions {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String txId = args[2];
    String group = args[3];
    try (Admin admin = Clients.admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
    }
    Object[] txProps = {"transactional.id", txId, "enable.idempotence", "true", "acks", "all", "transaction.timeout.ms", "60000", "max.block.ms", "60000"};
    String zombieError = null;
    try (KafkaProducer<String, String> p = Clients.producer(bootstrap, txProps)) {
      p.initTransactions();
      p.beginTransaction();
      for (String v : List.of("c1", "c2", "c3")) p.send(new ProducerRecord<>(topic, v, v));
      p.commitTransaction();
      p.beginTransaction();
      for (String v : List.of("a1", "a2")) p.send(new ProducerRecord<>(topic, v, v));
      p.flush();
      p.abortTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, 0, "c4", "c4"));
      p.sendOffsetsToTransaction(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(7)), new ConsumerGroupMetadata(group));
      p.commitTransaction();
      // The zombie: a transaction running when its successor starts with the same transactional id.
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, 1, "z1", "z1"));
      p.flush();
      try (KafkaProducer<String, String> successor = Clients.producer(bootstrap, txProps)) {
        successor.initTransactions();
        try {
          p.send(new ProducerRecord<>(topic, 1, "z2", "z2"));
          p.commitTransaction();
        } catch (Exception e) {
          zombieError = Json.error(e).get("error").toString();
        }
        successor.beginTransaction();
        successor.send(new ProducerRecord<>(topic, 1, "s1", "s1"));
        successor.commitTransaction();
      }
    } catch (Exception e) {
      if (zombieError == null) throw e;
    }
    Map<String, Object> groupOffset;
    try (Admin admin = Clients.admin(bootstrap)) {
      OffsetAndMetadata o = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(new TopicPartition(topic, 0));
      groupOffset = Json.obj("offset", o == null ? null : o.offset());
    }
    System.out.println("RESULT " + Json.write(Json.obj(
        "zombieError", zombieError,
        "readCommitted", readToEnd(bootstrap, topic, "read_committed"),
        "readUncommitted", readToEnd(bootstrap, topic, "read_uncommitted"),
        "groupOffset", groupOffset)));
  }

  /** Every value up to the end offsets the isolation level sees (the LSO for read_committed), sorted. */
  private static List<String> readToEnd(String bootstrap, String topic, String isolation) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> c = Clients.consumer(bootstrap, "isolation.level", isolation, "enable.auto.commit", "false")) {
      List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(tps));
      long deadline = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < deadline && tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) values.add(r.value());
      }
    }
    Collections.sort(values);
    return values;
  }
}
