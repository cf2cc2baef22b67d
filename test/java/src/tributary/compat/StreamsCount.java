package tributary.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Kafka Streams word count with processing.guarantee=exactly_once_v2 (kafka-streams 4.4 from
 * Maven Central, scripts/setup.d/10-kafka.sh). It writes LINES lines of words (drawn by SEED from
 * twelve words) to INPUT, counts the words (a repartition through the broker, a state store with
 * its changelog, no record cache: every input word gives one output count), writes the counts
 * to OUTPUT, and reads OUTPUT with read_committed until every word's last count is its number of
 * occurrences (or DEADLINE_MS). A word counted n times must then show the counts 1, 2, …, n, each
 * once, in order: a count repeated or skipped is a record processed twice or lost.
 *
 * Prints RESULT {expected: {word: n}, counts: {word: [counts in output order]}, state}.
 *
 * The input can be written in parts, so that a test decides when the work goes on (and the count
 * cannot finish before its faults): -Dinput.chunks=N splits the lines into N chunks; chunk
 * input.from (default 0) is written at once and each later one when the file GATE/chunk-K exists
 * (-Dinput.gate=GATE; without it every chunk at once); "WROTE K" is printed once chunk K is
 * acknowledged. A run that takes over from a Streams process killed -9 (same APPLICATION_ID and
 * STATE_DIR) passes -Dinput.from=K, draws the same lines by SEED, writes chunks K.. and checks the
 * same expected counts.
 *
 * Usage: StreamsCount BOOTSTRAP APPLICATION_ID INPUT OUTPUT STATE_DIR SEED LINES DEADLINE_MS
 */
public final class StreamsCount {
  static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"};

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String applicationId = args[1];
    String input = args[2];
    String output = args[3];
    String stateDir = args[4];
    Random random = new Random(Long.parseLong(args[5]));
    int lines = Integer.parseInt(args[6]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[7]);

    Map<String, Long> expected = new TreeMap<>();
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("acks", "all");
    pp.put("key.serializer", StringSerializer.class.getName());
    pp.put("value.serializer", StringSerializer.class.getName());
    List<ProducerRecord<String, String>> records = new ArrayList<>();
    for (int i = 0; i < lines; i++) {
      StringBuilder line = new StringBuilder();
      for (int w = 1 + random.nextInt(4); w > 0; w--) {
        String word = WORDS[random.nextInt(WORDS.length)];
        expected.merge(word, 1L, Long::sum);
        line.append(line.length() == 0 ? "" : " ").append(word);
      }
      records.add(new ProducerRecord<>(input, "line-" + i, line.toString()));
    }
    int chunks = Integer.getInteger("input.chunks", 1);
    int from = Integer.getInteger("input.from", 0);
    String gate = System.getProperty("input.gate");
    Thread writer = new Thread(() -> {
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
        for (int c = from; c < chunks; c++) {
          Path open = gate == null ? null : Path.of(gate, "chunk-" + c);
          // The test opens the gate when it is ready for more work; bounded by the run's deadline.
          while (c > from && open != null && !Files.exists(open) && System.currentTimeMillis() < deadline) Thread.sleep(50);
          for (ProducerRecord<String, String> r : records.subList(lines * c / chunks, lines * (c + 1) / chunks)) producer.send(r);
          producer.flush();
          System.out.println("WROTE " + c);
          System.out.flush();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "input-writer");
    writer.setDaemon(true);
    writer.start();

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
        .flatMapValues(line -> List.of(line.split(" ")))
        .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
        .count()
        .toStream()
        .to(output, Produced.with(Serdes.String(), Serdes.Long()));
    Properties sp = new Properties();
    sp.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    sp.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    sp.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    sp.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    sp.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, Integer.parseInt(System.getProperty("replication", "3")));
    sp.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    sp.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    sp.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
    // Transactions the killed broker held time out soon, so the task's next transaction is not held up long.
    sp.put(StreamsConfig.producerPrefix("transaction.timeout.ms"), 15000);
    sp.put(StreamsConfig.producerPrefix("request.timeout.ms"), 10000);
    sp.put(StreamsConfig.consumerPrefix("request.timeout.ms"), 10000);
    String state;
    Map<String, List<Long>> counts = new TreeMap<>();
    try (KafkaStreams streams = new KafkaStreams(builder.build(), sp)) {
      streams.start();
      Properties cp = new Properties();
      cp.put("bootstrap.servers", bootstrap);
      cp.put("isolation.level", "read_committed");
      cp.put("key.deserializer", StringDeserializer.class.getName());
      cp.put("value.deserializer", LongDeserializer.class.getName());
      try (KafkaConsumer<String, Long> reader = new KafkaConsumer<>(cp)) {
        List<TopicPartition> partitions = new ArrayList<>();
        while (partitions.isEmpty() && System.currentTimeMillis() < deadline) {
          for (PartitionInfo p : reader.partitionsFor(output)) partitions.add(new TopicPartition(output, p.partition()));
        }
        reader.assign(partitions);
        reader.seekToBeginning(partitions);
        Map<String, Long> last = new HashMap<>();
        while (!last.equals(expected) && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, Long> r : reader.poll(Duration.ofMillis(500))) {
            counts.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
            last.put(r.key(), r.value());
          }
        }
      }
      state = streams.state().toString();
      streams.close(Duration.ofSeconds(20));
    }
    Json.result(Json.obj("expected", expected, "counts", counts, "state", state));
    System.exit(0);
  }
}
