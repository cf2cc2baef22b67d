package tributary.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Throughput of transactional produce next to plain produce, and of read_committed consume next
 * to read_uncommitted, with Kafka's Java client (bench/transactions). One JVM per measurement.
 *
 * produce BOOTSTRAP TOPIC RECORDS RECORD_SIZE TXN_SIZE: RECORDS records of RECORD_SIZE bytes,
 * acks=all and idempotent; TXN_SIZE records per transaction, each committed before the next
 * begins, or 0 for no transactions.
 * consume BOOTSTRAP TOPIC RECORDS ISOLATION: reads RECORDS records from the beginning with
 * isolation.level ISOLATION (read_committed or read_uncommitted).
 *
 * Prints RESULT {records, ms, recordsPerSec, mbPerSec}; the clock starts after the client is
 * connected (metadata fetched, initTransactions done).
 */
public final class TxnPerf {
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String bootstrap = args[1];
    String topic = args[2];
    int records = Integer.parseInt(args[3]);
    long bytes = 0;
    long start;
    long end;
    if (mode.equals("produce")) {
      int size = Integer.parseInt(args[4]);
      int txnSize = Integer.parseInt(args[5]);
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("acks", "all");
      p.put("enable.idempotence", "true");
      p.put("linger.ms", "5");
      if (txnSize > 0) p.put("transactional.id", "txn-perf-" + System.nanoTime());
      p.put("key.serializer", ByteArraySerializer.class.getName());
      p.put("value.serializer", ByteArraySerializer.class.getName());
      byte[] value = new byte[size];
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
        producer.partitionsFor(topic);
        if (txnSize > 0) producer.initTransactions();
        start = System.nanoTime();
        for (int i = 0; i < records; i++) {
          if (txnSize > 0 && i % txnSize == 0) producer.beginTransaction();
          producer.send(new ProducerRecord<>(topic, value));
          if (txnSize > 0 && (i % txnSize == txnSize - 1 || i == records - 1)) producer.commitTransaction();
        }
        producer.flush();
        end = System.nanoTime();
      }
      bytes = (long) records * size;
    } else {
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("isolation.level", args[4]);
      p.put("key.deserializer", ByteArrayDeserializer.class.getName());
      p.put("value.deserializer", ByteArrayDeserializer.class.getName());
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic)) partitions.add(new TopicPartition(topic, info.partition()));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        int read = 0;
        start = System.nanoTime();
        long deadline = System.currentTimeMillis() + 300_000;
        while (read < records && System.currentTimeMillis() < deadline) {
          ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
          read += batch.count();
          for (var r : batch) bytes += r.value().length;
        }
        end = System.nanoTime();
        records = read;
      }
    }
    double ms = (end - start) / 1e6;
    Json.result(Json.obj("records", records, "ms", Math.round(ms), "recordsPerSec", Math.round(records / (ms / 1000)), "mbPerSec", Math.round(bytes / 1048576.0 / (ms / 1000) * 10) / 10.0));
    System.exit(0);
  }
}
