package tributary.compat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.coordinator.common.runtime.CoordinatorRecord;
import org.apache.kafka.coordinator.group.GroupCoordinatorRecordSerde;
import org.apache.kafka.coordinator.group.generated.CoordinatorRecordJsonConverters;

/**
 * Reads every record of __consumer_offsets-0 with Apache Kafka's own group coordinator record
 * deserializer (GroupCoordinatorRecordSerde, what a Kafka coordinator uses to load the topic) and
 * prints each as its record type, key and value in Kafka's JSON form, or the error Kafka raised.
 * Args: bootstrap
 */
public final class ReadConsumerOffsets {
  public static void main(String[] args) throws Exception {
    TopicPartition tp = new TopicPartition("__consumer_offsets", 0);
    List<Object> out = new ArrayList<>();
    GroupCoordinatorRecordSerde serde = new GroupCoordinatorRecordSerde();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Clients.props(args[0]), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.currentTimeMillis() + 60_000;
      while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() == null) continue;
          try {
            CoordinatorRecord rec = serde.deserialize(ByteBuffer.wrap(r.key()), r.value() == null ? null : ByteBuffer.wrap(r.value()));
            Map<String, Object> row = Json.obj("type", (int) rec.key().apiKey(), "key", CoordinatorRecordJsonConverters.writeRecordKeyAsJson(rec.key()).toString());
            row.put("value", rec.value() == null ? null : CoordinatorRecordJsonConverters.writeRecordValueAsJson(rec.value().message(), rec.value().version()).toString());
            out.add(row);
          } catch (RuntimeException e) {
            out.add(Json.obj("offset", r.offset(), "keyType", (int) ByteBuffer.wrap(r.key()).getShort(0), "error", e.getClass().getSimpleName() + ": " + e.getMessage()));
          }
        }
      }
    }
    Json.result(out);
  }
}
