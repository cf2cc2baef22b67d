package tributary.compat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;

/**
 * AdminClient configs: describeConfigs of a topic, the broker and a consumer group (synonyms,
 * types, documentation), incrementalAlterConfigs SET / DELETE / APPEND / SUBTRACT, Kafka's topic
 * configs that do nothing here, invalid names, values and operations, validate-only, and KIP-848
 * group configs. Args: bootstrap topic group brokerId (Clients.brokerId) configName=value...(every topic config to set)
 */
public final class AdminConfigs {
  static Map<String, Object> entry(ConfigEntry e) {
    List<Object> synonyms = new ArrayList<>();
    for (ConfigEntry.ConfigSynonym s : e.synonyms()) synonyms.add(Json.obj("name", s.name(), "value", s.value(), "source", s.source().name()));
    return Json.obj("value", e.value(), "source", e.source().name(), "isDefault", e.isDefault(), "readOnly", e.isReadOnly(), "sensitive", e.isSensitive(), "type", e.type().name(), "documentation", e.documentation(), "synonyms", synonyms);
  }

  static Map<String, Object> describe(Admin admin, ConfigResource r, Collection<String> names) throws Exception {
    Config c = admin.describeConfigs(List.of(r), new DescribeConfigsOptions().includeSynonyms(true).includeDocumentation(true)).all().get().get(r);
    Map<String, Object> picked = new java.util.TreeMap<>();
    for (String n : names) picked.put(n, c.get(n) == null ? null : entry(c.get(n)));
    return Json.obj("names", c.entries().stream().map(ConfigEntry::name).sorted().toList(), "entries", picked);
  }

  static Object alter(Admin admin, ConfigResource r, AlterConfigOp... ops) throws Exception {
    admin.incrementalAlterConfigs(Map.of(r, List.of(ops))).all().get();
    return "ok";
  }

  static AlterConfigOp op(String name, String value, AlterConfigOp.OpType type) {
    return new AlterConfigOp(new ConfigEntry(name, value), type);
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    String brokerArg = args[3];
    Map<String, String> everyConfig = new java.util.LinkedHashMap<>();
    for (int i = 4; i < args.length; i++) everyConfig.put(args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
    ConfigResource t = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    ConfigResource g = new ConfigResource(ConfigResource.Type.GROUP, group);
    List<String> shown = List.of("retention.ms", "cleanup.policy", "flush.ms", "segment.bytes", "max.message.bytes", "min.insync.replicas", "compression.type", "preallocate", "min.cleanable.dirty.ratio", "leader.replication.throttled.replicas");
    Steps s = new Steps();
    try (Admin admin = Clients.admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, Clients.rf()).configs(Map.of("retention.ms", "86400000")))).all().get();
      // A cluster test kills the controller here, after the topic exists.
      Steps.pause("created", () -> Clients.clusterFacts(admin, topic));
      ConfigResource b = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(Clients.brokerId(admin, brokerArg, topic)));
      s.step("describeTopic", () -> describe(admin, t, shown));
      s.step("describeBroker", () -> describe(admin, b, List.of("log.retention.ms", "num.partitions", "log.segment.bytes", "ssl.key.password")));
      s.step("setEvery", () -> {
        List<AlterConfigOp> ops = new ArrayList<>();
        for (Map.Entry<String, String> e : everyConfig.entrySet()) ops.add(op(e.getKey(), e.getValue(), AlterConfigOp.OpType.SET));
        admin.incrementalAlterConfigs(Map.of(t, ops)).all().get();
        Config c = admin.describeConfigs(List.of(t)).all().get().get(t);
        Map<String, Object> back = new java.util.TreeMap<>();
        for (String n : everyConfig.keySet()) back.put(n, c.get(n) == null ? null : Json.obj("value", c.get(n).value(), "source", c.get(n).source().name()));
        return back;
      });
      s.step("deleteEvery", () -> {
        List<AlterConfigOp> ops = new ArrayList<>();
        for (String n : everyConfig.keySet()) ops.add(op(n, null, AlterConfigOp.OpType.DELETE));
        admin.incrementalAlterConfigs(Map.of(t, ops)).all().get();
        Config c = admin.describeConfigs(List.of(t)).all().get().get(t);
        return c.entries().stream().filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG).map(ConfigEntry::name).sorted().toList();
      });
      s.step("append", () -> {
        alter(admin, t, op("cleanup.policy", "compact", AlterConfigOp.OpType.APPEND));
        return admin.describeConfigs(List.of(t)).all().get().get(t).get("cleanup.policy").value();
      });
      s.step("appendAgain", () -> {
        alter(admin, t, op("cleanup.policy", "compact", AlterConfigOp.OpType.APPEND));
        return admin.describeConfigs(List.of(t)).all().get().get(t).get("cleanup.policy").value();
      });
      s.step("subtract", () -> {
        alter(admin, t, op("cleanup.policy", "delete", AlterConfigOp.OpType.SUBTRACT));
        return admin.describeConfigs(List.of(t)).all().get().get(t).get("cleanup.policy").value();
      });
      s.step("appendThrottled", () -> {
        alter(admin, t, op("leader.replication.throttled.replicas", "0:1,1:1", AlterConfigOp.OpType.APPEND));
        return admin.describeConfigs(List.of(t)).all().get().get(t).get("leader.replication.throttled.replicas").value();
      });
      s.step("appendNonList", () -> alter(admin, t, op("retention.ms", "5", AlterConfigOp.OpType.APPEND)));
      s.step("subtractNonList", () -> alter(admin, t, op("retention.ms", "5", AlterConfigOp.OpType.SUBTRACT)));
      s.step("setInvalidValue", () -> alter(admin, t, op("retention.ms", "soon", AlterConfigOp.OpType.SET)));
      s.step("setOutOfRange", () -> alter(admin, t, op("min.cleanable.dirty.ratio", "1.5", AlterConfigOp.OpType.SET)));
      s.step("setUnknown", () -> alter(admin, t, op("no.such.config", "1", AlterConfigOp.OpType.SET)));
      s.step("setUnknownTopic", () -> alter(admin, new ConfigResource(ConfigResource.Type.TOPIC, topic + "-missing"), op("retention.ms", "1000", AlterConfigOp.OpType.SET)));
      s.step("validateOnly", () -> {
        admin.incrementalAlterConfigs(Map.of(t, List.of(op("retention.ms", "1000", AlterConfigOp.OpType.SET))), new AlterConfigsOptions().validateOnly(true)).all().get();
        return admin.describeConfigs(List.of(t)).all().get().get(t).get("retention.ms").value();
      });
      s.step("alterBroker", () -> alter(admin, b, op("log.retention.ms", "1000", AlterConfigOp.OpType.SET)));
      s.step("describeGroupBefore", () -> describe(admin, g, List.of("consumer.session.timeout.ms", "consumer.heartbeat.interval.ms")));
      s.step("alterGroup", () -> {
        alter(admin, g, op("consumer.session.timeout.ms", "50000", AlterConfigOp.OpType.SET), op("consumer.heartbeat.interval.ms", "6000", AlterConfigOp.OpType.SET));
        return describe(admin, g, List.of("consumer.session.timeout.ms", "consumer.heartbeat.interval.ms"));
      });
      s.step("alterGroupOutOfRange", () -> alter(admin, g, op("consumer.session.timeout.ms", "1000", AlterConfigOp.OpType.SET)));
      s.step("alterGroupUnknown", () -> alter(admin, g, op("retention.ms", "1000", AlterConfigOp.OpType.SET)));
      s.step("deleteGroupConfig", () -> {
        alter(admin, g, op("consumer.session.timeout.ms", null, AlterConfigOp.OpType.DELETE));
        return describe(admin, g, List.of("consumer.session.timeout.ms"));
      });
    }
    s.print();
  }
}
