package tributary.compat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionReplica;

/**
 * AdminClient log methods: listOffsets (earliest, latest, max timestamp, by timestamp), deleteRecords,
 * describeLogDirs and describeReplicaLogDirs. Records are written with known timestamps.
 * Args: bootstrap topic brokerId (Clients.brokerId)
 */
public final class AdminRecords {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String brokerArg = args[2];
    TopicPartition tp = new TopicPartition(topic, 0);
    long t0 = System.currentTimeMillis() - 3_600_000L;
    Steps s = new Steps();
    try (Admin admin = Clients.admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, Clients.rf()))).all().get();
      try (KafkaProducer<String, String> producer = Clients.producer(bootstrap, "linger.ms", 50)) {
        // One batch whose largest timestamp is in the middle: max-timestamp must find record 5.
        for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, t0 + (i == 5 ? 100_000 : i * 1000L), "k" + i, "v" + i));
      }
      // A cluster test kills the partition's leader here, after the writes.
      Steps.pause("written", () -> Clients.clusterFacts(admin, topic));
      int brokerId = Clients.brokerId(admin, brokerArg, topic);
      for (Map.Entry<String, OffsetSpec> spec : Map.of("earliest", OffsetSpec.earliest(), "latest", OffsetSpec.latest(), "maxTimestamp", OffsetSpec.maxTimestamp(), "forTimestamp", OffsetSpec.forTimestamp(t0 + 2500), "afterLast", OffsetSpec.forTimestamp(t0 + 200_000)).entrySet()) {
        s.step("listOffsets." + spec.getKey(), () -> {
          var info = admin.listOffsets(Map.of(tp, spec.getValue())).partitionResult(tp).get();
          return Json.obj("offset", info.offset(), "timestamp", info.timestamp());
        });
      }
      s.step("deleteRecords", () -> admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(tp).get().lowWatermark());
      s.step("earliestAfterDelete", () -> admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset());
      s.step("deleteBeyondEnd", () -> admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(99))).lowWatermarks().get(tp).get().lowWatermark());
      s.step("describeLogDirs", () -> {
        Map<String, LogDirDescription> dirs = admin.describeLogDirs(List.of(brokerId)).allDescriptions().get().get(brokerId);
        Map<String, Object> out = new TreeMap<>();
        dirs.forEach((dir, d) -> {
          ReplicaInfo r = d.replicaInfos().get(tp);
          out.put("dir", dir);
          out.put("error", d.error() == null ? null : d.error().getClass().getSimpleName());
          out.put("replica", r == null ? null : Json.obj("size", r.size(), "offsetLag", r.offsetLag(), "future", r.isFuture()));
          out.put("totalBytesKnown", d.totalBytes().isPresent());
        });
        return out;
      });
      s.step("describeReplicaLogDirs", () -> {
        TopicPartitionReplica replica = new TopicPartitionReplica(topic, 0, brokerId);
        var info = admin.describeReplicaLogDirs(List.of(replica)).all().get().get(replica);
        return Json.obj("currentDir", info.getCurrentReplicaLogDir(), "futureDir", info.getFutureReplicaLogDir());
      });
    }
    s.print();
  }
}
