package tributary.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads every partition of a topic from the beginning to the end a read_committed consumer sees
 * (the last stable offset) and prints each record it got: partition, offset, key and value. The
 * oracle of the transaction anomaly test: Kafka's own client decides what is committed.
 * Args: bootstrap topic partitions timeoutMs.
 */
public final class ReadCommitted {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int partitions = Integer.parseInt(args[2]);
    long timeoutMs = Long.parseLong(args[3]);
    List<Object> records = new ArrayList<>();
    try (KafkaConsumer<String, String> c = Clients.consumer(bootstrap, "isolation.level", "read_committed", "enable.auto.commit", "false")) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(tps));
      long deadline = System.currentTimeMillis() + timeoutMs;
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("did not reach the end offsets " + end + " in " + timeoutMs + " ms");
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) records.add(Json.obj("p", r.partition(), "o", r.offset(), "k", r.key(), "v", r.value()));
      }
      Json.result(Json.obj("end", end.values().stream().mapToLong(Long::longValue).sum(), "records", records));
    }
  }
}
