package tributary.compat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * KIP-368 from the client side: an idempotent acks=all producer logged in with SCRAM-SHA-512 over
 * SASL_PLAINTEXT sends a record every 50 ms for a while, across several session lifetimes (the
 * broker's connections.max.reauth.ms), then a consumer logged in the same way reads them back.
 * Args: bootstrap topic user password durationMs
 */
public final class ReauthProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + args[2] + "\" password=\"" + args[3] + "\";";
    long duration = Long.parseLong(args[4]);
    Object[] sasl = {"security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", jaas};
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    try (KafkaProducer<String, String> producer = Clients.producer(bootstrap, concat(sasl, "acks", "all", "linger.ms", 0))) {
      // The clock starts once the producer is connected and logged in (its first record acknowledged),
      // so the connection lives through `duration` however slowly the JVM started.
      sent.add(producer.send(new ProducerRecord<>(topic, 0, "k0", "v0")));
      sent.get(0).get();
      long end = System.currentTimeMillis() + duration;
      int i = 1;
      while (System.currentTimeMillis() < end) {
        sent.add(producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)));
        i++;
        Thread.sleep(50); // pacing of the load, not synchronisation
      }
      producer.flush();
    }
    int acked = 0;
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get();
        acked++;
      } catch (Exception e) {
        errors.add(Json.error(e).toString());
      }
    }
    Set<String> read = new HashSet<>();
    try (KafkaConsumer<String, String> consumer = Clients.consumer(bootstrap, sasl)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      for (ConsumerRecord<String, String> r : Clients.pollUntil(consumer, sent.size(), 30_000)) read.add(r.value());
    }
    Json.result(Json.obj("sent", sent.size(), "acked", acked, "errors", errors.subList(0, Math.min(5, errors.size())), "readBack", read.size()));
  }

  static Object[] concat(Object[] a, Object... b) {
    Object[] out = new Object[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
