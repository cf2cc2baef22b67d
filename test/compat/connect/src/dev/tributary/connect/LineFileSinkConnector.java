package dev.tributary.connect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Test sink connector: each task appends every record's value as one line to a file of its own in
 * `dir` (tasks on different workers never share a file), flushed before Connect commits offsets.
 */
public class LineFileSinkConnector extends SinkConnector {
  static final ConfigDef CONFIG = new ConfigDef()
      .define("dir", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "directory of the output files");

  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return LineFileSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) configs.add(props);
    return configs;
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
