package tributary.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * An exactly-once copy loop as Kafka documents it: a read_committed consumer of INPUT, each polled
 * batch copied (value prefixed with "copy-") to the same partition of OUTPUT in one transaction
 * together with the consumer's offsets (sendOffsetsToTransaction), then committed. About one
 * transaction in five (chosen by SEED; the third if none was before) is aborted on purpose after
 * its records (prefixed "aborted-" instead) and offsets were sent, and the consumer goes back to
 * where it was: those records must never be seen.
 *
 * Any error (brokers killed under it: timeouts, fencing, a coordinator gone) is handled the way
 * an application restarts: producer and consumer are closed and made again; initTransactions with
 * the same transactional.id finishes or aborts what the previous one left, and the consumer starts
 * from the committed offsets. It stops once it has committed offsets up to PER_PARTITION on every
 * input partition (the test writes that many plain records to each, while this runs), or at
 * DEADLINE_MS.
 *
 * Then a fresh read_committed consumer reads OUTPUT to its end. Prints RESULT {committed,
 * aborted, restarts, errors: {exception class: count}, done, output: [values in partition order]}.
 *
 * Usage: CopyLoop BOOTSTRAP INPUT OUTPUT GROUP TRANSACTIONAL_ID SEED DEADLINE_MS PER_PARTITION
 */
public final class CopyLoop {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String input = args[1];
    String output = args[2];
    String group = args[3];
    String transactionalId = args[4];
    Random random = new Random(Long.parseLong(args[5]));
    long deadline = System.currentTimeMillis() + Long.parseLong(args[6]);
    long perPartition = Long.parseLong(args[7]);
    int committed = 0;
    int aborted = 0;
    int restarts = 0;
    Map<String, Integer> errors = new TreeMap<>();
    Map<TopicPartition, Long> ends = null;
    boolean done = false;
    String stuck = "";
    while (!done && System.currentTimeMillis() < deadline) {
      KafkaConsumer<String, String> consumer = null;
      KafkaProducer<String, String> producer = null;
      try {
        consumer = consumer(bootstrap, group);
        producer = producer(bootstrap, transactionalId);
        producer.initTransactions();
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(input)) partitions.add(new TopicPartition(input, p.partition()));
        consumer.assign(partitions);
        if (ends == null) {
          ends = new HashMap<>();
          for (TopicPartition tp : partitions) ends.put(tp, perPartition);
        }
        // Start where the last committed transaction left each partition (read_committed asks require_stable).
        Map<TopicPartition, OffsetAndMetadata> start = consumer.committed(new java.util.HashSet<>(partitions));
        for (TopicPartition tp : partitions) {
          OffsetAndMetadata o = start.get(tp);
          consumer.seek(tp, o == null ? 0 : o.offset());
        }
        while (!(done = reached(consumer, ends)) && System.currentTimeMillis() < deadline) {
          ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
          if (records.isEmpty()) continue;
          Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
          Map<TopicPartition, Long> first = new HashMap<>();
          boolean abort = random.nextInt(5) == 0 || (aborted == 0 && committed == 2);
          producer.beginTransaction();
          for (ConsumerRecord<String, String> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            first.putIfAbsent(tp, r.offset());
            next.put(tp, new OffsetAndMetadata(r.offset() + 1));
            producer.send(new ProducerRecord<>(output, r.partition(), r.key(), (abort ? "aborted-" : "copy-") + r.value()));
          }
          producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
          if (abort) {
            producer.abortTransaction();
            aborted++;
            for (Map.Entry<TopicPartition, Long> e : first.entrySet()) consumer.seek(e.getKey(), e.getValue());
            continue;
          }
          producer.commitTransaction();
          committed++;
        }
        if (!done) {
          // Out of time: where the loop stood, for the failure message.
          Map<String, Object> where = new TreeMap<>();
          Map<TopicPartition, Long> lso = consumer.endOffsets(ends.keySet());
          for (TopicPartition tp : ends.keySet()) where.put(tp.toString(), "position " + consumer.position(tp) + ", end " + lso.get(tp));
          stuck = where.toString();
        }
      } catch (Exception e) {
        restarts++;
        errors.merge(e.getClass().getSimpleName(), 1, Integer::sum);
      } finally {
        if (producer != null) producer.close(Duration.ofSeconds(5));
        if (consumer != null) consumer.close(Duration.ofSeconds(5));
      }
    }
    Json.result(Json.obj("stuck", stuck, "committed", committed, "aborted", aborted, "restarts", restarts, "errors", errors, "done", done, "output", readAll(bootstrap, output)));
    System.exit(0);
  }

  /** Whether the consumer's position has passed every input record (positions move only by poll, back by an abort's seek). */
  static boolean reached(KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) if (consumer.position(e.getKey()) < e.getValue()) return false;
    return true;
  }

  /** Every value a read_committed consumer reads from the topic up to its end offsets (the last stable offsets), partition by partition. */
  static List<String> readAll(String bootstrap, String topic) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = consumer(bootstrap, null)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : c.partitionsFor(topic)) partitions.add(new TopicPartition(topic, p.partition()));
      partitions.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
      c.assign(partitions);
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = c.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 60_000;
      while (!reached(c, ends) && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) out.add(r.partition() + ":" + r.value());
      }
    }
    return out;
  }

  static KafkaConsumer<String, String> consumer(String bootstrap, String group) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    if (group != null) p.put("group.id", group);
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("max.poll.records", "100");
    p.put("request.timeout.ms", "10000");
    p.put("default.api.timeout.ms", "20000");
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    return new KafkaConsumer<>(p);
  }

  static KafkaProducer<String, String> producer(String bootstrap, String transactionalId) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("transactional.id", transactionalId);
    // A transaction its producer lost (killed broker, then closed) is aborted by the coordinator after this.
    p.put("transaction.timeout.ms", "20000");
    p.put("max.block.ms", "20000");
    p.put("request.timeout.ms", "10000");
    p.put("delivery.timeout.ms", "20000");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    return new KafkaProducer<>(p);
  }
}
