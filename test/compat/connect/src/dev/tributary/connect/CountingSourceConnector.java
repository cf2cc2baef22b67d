package dev.tributary.connect;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Test source connector (Kafka's connect-file is not served by the Maven repository here): one task
 * that writes "record-0" … "record-(count-1)" to a topic, `batch` records every `interval.ms`, and
 * keeps its position as a Connect source offset so a task moved to another worker resumes there.
 */
public class CountingSourceConnector extends SourceConnector {
  static final ConfigDef CONFIG = new ConfigDef()
      .define("topic", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "topic to write to")
      .define("count", ConfigDef.Type.LONG, ConfigDef.Importance.HIGH, "how many records in all")
      .define("batch", ConfigDef.Type.INT, 10, ConfigDef.Importance.LOW, "records per poll")
      .define("interval.ms", ConfigDef.Type.LONG, 50L, ConfigDef.Importance.LOW, "pause before each poll");

  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return CountingSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    return List.of(props); // one sequence, one task
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return CONFIG;
  }

  @Override
  public String version() {
    return "1";
  }
}
