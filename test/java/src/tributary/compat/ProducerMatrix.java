package tributary.compat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Producer: every acks setting (0, 1, all) with every compression codec, keyed records with headers,
 * the producer's defaults otherwise (idempotent for acks=all, as Kafka 3+ clients are by default).
 * Each combination writes to its own topic and is read back by a consumer from the beginning.
 * Args: bootstrap topicPrefix recordsPerCombination [replicationFactor, default 1 (3 on a cluster)]
 */
public final class ProducerMatrix {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String prefix = args[1];
    int count = Integer.parseInt(args[2]);
    short replicationFactor = args.length > 3 ? Short.parseShort(args[3]) : 1;
    List<Object> results = new ArrayList<>();
    try (Admin admin = Clients.admin(bootstrap)) {
      for (String acks : new String[] {"0", "1", "all"}) {
        for (String codec : new String[] {"none", "gzip", "snappy", "lz4", "zstd"}) {
          String topic = prefix + "-acks" + acks + "-" + codec;
          admin.createTopics(List.of(new NewTopic(topic, 2, replicationFactor))).all().get();
          results.add(run(bootstrap, topic, acks, codec, count));
        }
      }
    }
    Json.result(results);
  }

  static Map<String, Object> run(String bootstrap, String topic, String acks, String codec, int count) throws Exception {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = Clients.producer(bootstrap, "acks", acks, "compression.type", codec, "linger.ms", 5)) {
      for (int i = 0; i < count; i++) {
        ProducerRecord<String, String> r = new ProducerRecord<>(topic, "key-" + i, "value-" + i + "-" + codec);
        r.headers().add("seq", String.valueOf(i).getBytes(StandardCharsets.UTF_8)).add("codec", codec.getBytes(StandardCharsets.UTF_8));
        sent.add(producer.send(r));
      }
      producer.flush();
    }
    int acked = 0;
    boolean offsetsKnown = true;
    for (Future<RecordMetadata> f : sent) {
      RecordMetadata m = f.get();
      acked++;
      if (m.offset() < 0) offsetsKnown = false;
    }
    int readBack = 0;
    int intact = 0;
    boolean orderedPerKey = true;
    try (KafkaConsumer<String, String> consumer = Clients.consumer(bootstrap)) {
      List<TopicPartition> parts = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<Integer, Integer> lastSeqPerPartition = new java.util.HashMap<>();
      for (ConsumerRecord<String, String> r : Clients.pollUntil(consumer, count, 20_000)) {
        readBack++;
        int i = Integer.parseInt(r.key().substring(4));
        String seq = new String(r.headers().lastHeader("seq").value(), StandardCharsets.UTF_8);
        String c = new String(r.headers().lastHeader("codec").value(), StandardCharsets.UTF_8);
        if (r.value().equals("value-" + i + "-" + codec) && seq.equals(String.valueOf(i)) && c.equals(codec)) intact++;
        Integer last = lastSeqPerPartition.put(r.partition(), i);
        if (last != null && last >= i) orderedPerKey = false;
      }
    }
    return Json.obj("topic", topic, "acks", acks, "codec", codec, "acked", acked, "offsetsKnown", offsetsKnown, "readBack", readBack, "intact", intact, "ordered", orderedPerKey);
  }
}
