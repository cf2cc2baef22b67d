package dev.tributary.connect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/** See {@link CountingSourceConnector}. */
public class CountingSourceTask extends SourceTask {
  private static final Map<String, String> PARTITION = Map.of("source", "counter");
  private String topic;
  private long count;
  private int batch;
  private long intervalMs;
  private long next;

  @Override
  public void start(Map<String, String> props) {
    topic = props.get("topic");
    count = Long.parseLong(props.get("count"));
    batch = Integer.parseInt(props.getOrDefault("batch", "10"));
    intervalMs = Long.parseLong(props.getOrDefault("interval.ms", "50"));
    // Resume after the last position Connect committed to its offset topic.
    Map<String, Object> offset = context.offsetStorageReader().offset(PARTITION);
    next = offset == null ? 0 : ((Number) offset.get("position")).longValue() + 1;
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    Thread.sleep(next >= count ? 200 : intervalMs);
    if (next >= count) return null;
    List<SourceRecord> records = new ArrayList<>();
    for (int i = 0; i < batch && next < count; i++, next++) {
      records.add(new SourceRecord(PARTITION, Map.of("position", next), topic, null, Schema.STRING_SCHEMA, "k" + next, Schema.STRING_SCHEMA, "record-" + next));
    }
    return records;
  }

  @Override
  public void stop() {}

  @Override
  public String version() {
    return "1";
  }
}
