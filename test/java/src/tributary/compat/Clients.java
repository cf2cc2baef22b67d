package tributary.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Client construction shared by the programs: plain defaults plus the program's own settings. */
public final class Clients {
  private Clients() {}

  public static Properties props(String bootstrap, Object... kv) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    for (int i = 0; i < kv.length; i += 2) p.put((String) kv[i], String.valueOf(kv[i + 1]));
    return p;
  }

  public static Admin admin(String bootstrap, Object... kv) {
    Properties p = props(bootstrap, kv);
    p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    return Admin.create(p);
  }

  public static KafkaProducer<String, String> producer(String bootstrap, Object... kv) {
    Properties p = props(bootstrap, kv);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return new KafkaProducer<>(p);
  }

  public static KafkaConsumer<String, String> consumer(String bootstrap, Object... kv) {
    Properties p = props(bootstrap, kv);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(p);
  }

  /** A record as data: where it is, its key, value, timestamp and headers. */
  public static Map<String, Object> record(ConsumerRecord<String, String> r) {
    List<Object> headers = new ArrayList<>();
    for (Header h : r.headers()) headers.add(Json.obj("key", h.key(), "value", h.value() == null ? null : new String(h.value())));
    return Json.obj("partition", r.partition(), "offset", r.offset(), "key", r.key(), "value", r.value(), "timestamp", r.timestamp(), "headers", headers);
  }

  /** Bounded polling: true once the condition holds, false after the deadline. */
  public static boolean waitFor(long timeoutMs, BooleanSupplier condition) throws InterruptedException {
    long end = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < end) {
      if (condition.getAsBoolean()) return true;
      Thread.sleep(50);
    }
    return condition.getAsBoolean();
  }

  /** Polls until `want` records arrived or the deadline passed. */
  public static List<ConsumerRecord<String, String>> pollUntil(KafkaConsumer<String, String> consumer, int want, long timeoutMs) {
    List<ConsumerRecord<String, String>> got = new ArrayList<>();
    long end = System.currentTimeMillis() + timeoutMs;
    while (got.size() < want && System.currentTimeMillis() < end) {
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) got.add(r);
    }
    return got;
  }
}
