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

  /** Replication factor of the topics the programs create: 1, or -Dtopics.rf on a cluster. */
  public static short rf() {
    return Short.parseShort(System.getProperty("topics.rf", "1"));
  }

  /**
   * A broker id argument: a number, or (on a cluster whose brokers a test kills) "controller" for
   * the controller describeCluster names now, or "leader" for the leader of `topic`-0 now.
   */
  public static int brokerId(Admin admin, String arg, String topic) throws Exception {
    if (arg.equals("controller")) return admin.describeCluster().controller().get().id();
    if (arg.equals("leader")) return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(0).leader().id();
    return Integer.parseInt(arg);
  }

  /**
   * What a test needs to pick the broker it kills at a Steps.pause: the controller describeCluster
   * names (on Kafka 4 a random live broker, KIP-590), the KRaft quorum leader (Kafka's real
   * controller; -1 where DescribeQuorum is not served) and, given a topic, the leader of its partition 0.
   */
  public static Map<String, Object> clusterFacts(Admin admin, String topic) throws Exception {
    Map<String, Object> facts = new java.util.LinkedHashMap<>();
    facts.put("controller", admin.describeCluster().controller().get().id());
    int quorumLeader;
    try {
      quorumLeader = admin.describeMetadataQuorum().quorumInfo().get().leaderId();
    } catch (Exception e) {
      quorumLeader = -1;
    }
    facts.put("quorumLeader", quorumLeader);
    if (topic != null) facts.put("leader", brokerId(admin, "leader", topic));
    return facts;
  }

  /** clusterFacts plus the coordinator of `group`. */
  public static Map<String, Object> groupFacts(Admin admin, String topic, String group) throws Exception {
    Map<String, Object> facts = clusterFacts(admin, topic);
    facts.put("coordinator", admin.describeConsumerGroups(List.of(group)).all().get().get(group).coordinator().id());
    return facts;
  }

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
