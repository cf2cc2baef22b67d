package tributary.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.coordinator.group.GroupConfig;
import org.apache.kafka.server.config.AbstractKafkaConfig;
import org.apache.kafka.server.config.ConfigSynonym;
import org.apache.kafka.server.config.DynamicBrokerConfig;
import org.apache.kafka.server.config.ServerTopicConfigSynonyms;
import org.apache.kafka.server.metrics.ClientMetricsConfigs;
import org.apache.kafka.storage.internals.log.LogConfig;
import tributary.compat.Json;

/**
 * Prints, as JSON, the topic configs (LogConfig), group configs (GroupConfig), client-metrics
 * subscription configs (ClientMetricsConfigs, KIP-714) and broker configs
 * (AbstractKafkaConfig's ConfigDef) of the Kafka on the classpath: name, type, default, valid
 * values, documentation and the broker settings each falls back to; for broker configs also
 * whether Kafka can change them at runtime (DynamicBrokerConfig.ALL_DYNAMIC_CONFIGS). scripts/gen-kafka-configs.ts turns this into the broker's table.
 */
public final class DumpConfigDefs {
  static Map<String, Object> keys(Map<String, ConfigDef.ConfigKey> keys, Map<String, List<ConfigSynonym>> synonyms) {
    Map<String, Object> out = new TreeMap<>();
    for (ConfigDef.ConfigKey k : keys.values()) {
      if (k.internalConfig) continue;
      List<Object> syn = new ArrayList<>();
      for (ConfigSynonym s : synonyms.getOrDefault(k.name, List.of())) syn.add(s.name());
      Object def = k.defaultValue == ConfigDef.NO_DEFAULT_VALUE ? null : (k.defaultValue == null ? null : ConfigDef.convertToString(k.defaultValue, k.type));
      out.put(k.name, Json.obj("type", k.type.name(), "default", def, "validator", k.validator == null ? null : k.validator.toString(), "documentation", k.documentation, "synonyms", syn));
    }
    return out;
  }

  /** GroupConfig keeps its ConfigDef in a private static field; its names and broker synonyms are public. */
  static ConfigDef groupConfigDef() throws ReflectiveOperationException {
    for (java.lang.reflect.Field f : GroupConfig.class.getDeclaredFields()) {
      if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigDef.class) {
        f.setAccessible(true);
        return (ConfigDef) f.get(null);
      }
    }
    throw new IllegalStateException("GroupConfig has no ConfigDef field");
  }

  /** Broker configs: their synonyms are the other names of the same setting (log.retention.hours for log.retention.ms …), most specific first. */
  static Map<String, Object> brokerKeys() {
    Map<String, Object> out = new TreeMap<>();
    for (ConfigDef.ConfigKey k : AbstractKafkaConfig.CONFIG_DEF.configKeys().values()) {
      if (k.internalConfig) continue;
      Object def = k.defaultValue == ConfigDef.NO_DEFAULT_VALUE ? null : (k.defaultValue == null ? null : ConfigDef.convertToString(k.defaultValue, k.type));
      List<Object> syn = new ArrayList<>(DynamicBrokerConfig.brokerConfigSynonyms(k.name, false));
      out.put(k.name, Json.obj("type", k.type.name(), "default", def, "validator", k.validator == null ? null : k.validator.toString(), "documentation", k.documentation, "synonyms", syn, "dynamic", DynamicBrokerConfig.ALL_DYNAMIC_CONFIGS.contains(k.name)));
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    Map<String, List<ConfigSynonym>> groupSynonyms = new TreeMap<>();
    for (String name : GroupConfig.configNames()) GroupConfig.brokerSynonym(name).ifPresent(s -> groupSynonyms.put(name, List.of(new ConfigSynonym(s))));
    Json.result(Json.obj(
        "topic", keys(LogConfig.configKeys(), ServerTopicConfigSynonyms.ALL_TOPIC_CONFIG_SYNONYMS),
        "group", keys(groupConfigDef().configKeys(), groupSynonyms),
        "clientMetrics", keys(ClientMetricsConfigs.configDef().configKeys(), Map.of()),
        "broker", brokerKeys()));
  }
}
