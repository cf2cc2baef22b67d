package tributary.compat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumer seek by time: records with known timestamps (several per batch), offsetsForTimes for a
 * time inside the log, before it and after it, a seek to the found offset and what poll returns
 * from there; beginningOffsets/endOffsets. Args: bootstrap topic
 */
public final class SeekByTime {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    TopicPartition tp = new TopicPartition(topic, 0);
    long t0 = System.currentTimeMillis() - 600_000L;
    try (Admin admin = Clients.admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    try (KafkaProducer<String, String> producer = Clients.producer(bootstrap, "linger.ms", 20)) {
      for (int i = 0; i < 100; i++) producer.send(new ProducerRecord<>(topic, 0, t0 + i * 1000L, "k" + i, "v" + i));
    }
    Steps s = new Steps();
    try (KafkaConsumer<String, String> consumer = Clients.consumer(bootstrap)) {
      consumer.assign(List.of(tp));
      s.step("beginning", () -> consumer.beginningOffsets(List.of(tp)).get(tp));
      s.step("end", () -> consumer.endOffsets(List.of(tp)).get(tp));
      for (Map.Entry<String, Long> q : Map.of("inside", t0 + 42_500, "exact", t0 + 42_000, "before", t0 - 5000, "after", t0 + 1_000_000).entrySet()) {
        s.step("offsetsForTimes." + q.getKey(), () -> {
          OffsetAndTimestamp found = consumer.offsetsForTimes(Map.of(tp, q.getValue())).get(tp);
          return found == null ? null : Json.obj("offset", found.offset(), "timestampDelta", found.timestamp() - t0);
        });
      }
      s.step("seekAndPoll", () -> {
        OffsetAndTimestamp found = consumer.offsetsForTimes(Map.of(tp, t0 + 42_500)).get(tp);
        consumer.seek(tp, found.offset());
        List<ConsumerRecord<String, String>> got = Clients.pollUntil(consumer, 1, 10_000);
        ConsumerRecord<String, String> first = got.get(0);
        return Json.obj("offset", first.offset(), "value", first.value(), "timestampDelta", first.timestamp() - t0);
      });
    }
    s.print();
  }
}
