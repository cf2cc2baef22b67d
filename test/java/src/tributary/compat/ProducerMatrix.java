package tributary.compat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Producer: every acks setting (0, 1, all) with every compression codec, keyed records with headers,
 * the producer's defaults otherwise (idempotent for acks=all, as Kafka 3+ clients are by default;
 * not idempotent for acks 0 and 1, where the client turns its default idempotence off).
 * Each combination writes to its own topic and is read back by a consumer from the beginning.
 * All combinations write their first half, then their second half, so that a cluster test can kill
 * a broker between the two (Steps.pause point "half", with every partition's leader as facts): the
 * producers then send on with the connections and metadata they had, to the dead leader first.
 * Args: bootstrap topicPrefix recordsPerCombination [replicationFactor, default 1 (3 on a cluster)]
 * [partitions per topic, default 2]
 */
public final class ProducerMatrix {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String prefix = args[1];
    int count = Integer.parseInt(args[2]);
    short replicationFactor = args.length > 3 ? Short.parseShort(args[3]) : 1;
    int partitions = args.length > 4 ? Integer.parseInt(args[4]) : 2;
    List<Combination> all = new ArrayList<>();
    try (Admin admin = Clients.admin(bootstrap)) {
      for (String acks : new String[] {"0", "1", "all"}) {
        for (String codec : new String[] {"none", "gzip", "snappy", "lz4", "zstd"}) {
          Combination c = new Combination(prefix + "-acks" + acks + "-" + codec, acks, codec, partitions);
          admin.createTopics(List.of(new NewTopic(c.topic, partitions, replicationFactor))).all().get();
          all.add(c);
        }
      }
      for (Combination c : all) c.open(bootstrap);
      for (Combination c : all) c.send(0, count / 2);
      Steps.pause("half", () -> leaders(admin, all));
      for (Combination c : all) c.send(count / 2, count);
      for (Combination c : all) c.producer.close();
    }
    List<Object> results = new ArrayList<>();
    for (Combination c : all) results.add(c.readBack(bootstrap, count));
    Json.result(results);
  }

  /** The leader of every partition of every combination's topic, as `topic-partition` to node id. */
  static Map<String, Object> leaders(Admin admin, List<Combination> all) throws Exception {
    Map<String, Object> facts = new LinkedHashMap<>();
    Map<String, TopicDescription> described = admin.describeTopics(all.stream().map(c -> c.topic).toList()).allTopicNames().get();
    described.forEach((topic, d) -> d.partitions().forEach(p -> facts.put(topic + "-" + p.partition(), p.leader() == null ? -1 : p.leader().id())));
    return facts;
  }

  static final class Combination {
    final String topic;
    final String acks;
    final String codec;
    final int partitions;
    final List<Future<RecordMetadata>> sent = new ArrayList<>();
    KafkaProducer<String, String> producer;

    Combination(String topic, String acks, String codec, int partitions) {
      this.topic = topic;
      this.acks = acks;
      this.codec = codec;
      this.partitions = partitions;
    }

    void open(String bootstrap) {
      producer = Clients.producer(bootstrap, "acks", acks, "compression.type", codec, "linger.ms", 5);
    }

    void send(int from, int to) {
      for (int i = from; i < to; i++) {
        ProducerRecord<String, String> r = new ProducerRecord<>(topic, "key-" + i, "value-" + i + "-" + codec);
        r.headers().add("seq", String.valueOf(i).getBytes(StandardCharsets.UTF_8)).add("codec", codec.getBytes(StandardCharsets.UTF_8));
        sent.add(producer.send(r));
      }
    }

    /** What the producer was told about each record, then every record the topic holds, read to its end offsets. */
    Map<String, Object> readBack(String bootstrap, int count) throws Exception {
      int acked = 0;
      boolean offsetsKnown = true;
      Set<String> failures = new TreeSet<>();
      for (Future<RecordMetadata> f : sent) {
        try {
          RecordMetadata m = f.get();
          acked++;
          if (m.offset() < 0) offsetsKnown = false;
        } catch (ExecutionException e) {
          failures.add(e.getCause().getClass().getSimpleName());
        }
      }
      int readBack = 0;
      int intact = 0;
      boolean orderedPerKey = true;
      Set<Integer> distinct = new HashSet<>();
      try (KafkaConsumer<String, String> consumer = Clients.consumer(bootstrap)) {
        List<TopicPartition> parts = new ArrayList<>();
        for (int p = 0; p < partitions; p++) parts.add(new TopicPartition(topic, p));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
        Map<Integer, Integer> lastSeqPerPartition = new HashMap<>();
        long deadline = System.currentTimeMillis() + 30_000;
        // Until every partition's end offset is reached (bounded): what a lost or duplicated record changes is counted, not waited for.
        while (System.currentTimeMillis() < deadline && parts.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            readBack++;
            int i = Integer.parseInt(r.key().substring(4));
            distinct.add(i);
            String seq = new String(r.headers().lastHeader("seq").value(), StandardCharsets.UTF_8);
            String c = new String(r.headers().lastHeader("codec").value(), StandardCharsets.UTF_8);
            if (r.value().equals("value-" + i + "-" + codec) && seq.equals(String.valueOf(i)) && c.equals(codec) && i < count) intact++;
            Integer last = lastSeqPerPartition.put(r.partition(), i);
            if (last != null && last >= i) orderedPerKey = false;
          }
        }
      }
      return Json.obj("topic", topic, "acks", acks, "codec", codec, "acked", acked, "failures", new ArrayList<>(failures), "offsetsKnown", offsetsKnown, "readBack", readBack, "distinct", distinct.size(), "intact", intact, "ordered", orderedPerKey);
    }
  }
}
