package tributary.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreatePartitionsOptions;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * AdminClient topic and cluster methods: createTopics (partition count, manual replica assignment,
 * configs, validate-only, invalid assignments), describeTopics (DescribeTopicPartitions on Kafka 4
 * clients), listTopics, createPartitions (count and assignment), deleteTopics, describeCluster,
 * describeFeatures. Every step's outcome is data, errors included. Args: bootstrap prefix
 */
public final class AdminTopics {
  static Map<String, Object> describe(TopicDescription d) {
    List<Object> parts = new ArrayList<>();
    for (TopicPartitionInfo p : d.partitions()) {
      parts.add(Json.obj("partition", p.partition(), "leader", p.leader() == null ? null : p.leader().id(), "replicas", p.replicas().stream().map(Node::id).toList(), "isr", p.isr().stream().map(Node::id).toList()));
    }
    return Json.obj("name", d.name(), "internal", d.isInternal(), "topicId", d.topicId().toString(), "partitions", parts, "authorizedOperations", d.authorizedOperations() == null ? null : d.authorizedOperations().stream().map(Enum::name).sorted().toList());
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String p = args[1];
    Steps s = new Steps();
    try (Admin admin = Clients.admin(bootstrap)) {
      // A cluster test kills the controller here, once the client has its metadata.
      Steps.pause("start", () -> Clients.clusterFacts(admin, null));
      DescribeClusterResult cluster = admin.describeCluster();
      int me = cluster.controller().get().id();
      s.step("describeCluster", () -> Json.obj("clusterId", cluster.clusterId().get(), "controller", cluster.controller().get().id(), "nodes", cluster.nodes().get().stream().map(n -> Json.obj("id", n.id(), "host", n.host(), "port", n.port())).toList()));
      s.step("describeFeatures", () -> {
        FeatureMetadata f = admin.describeFeatures().featureMetadata().get();
        return Json.obj("finalized", f.finalizedFeatures().keySet().stream().sorted().toList(), "supported", f.supportedFeatures().keySet().stream().sorted().toList(), "epoch", f.finalizedFeaturesEpoch().orElse(-1L));
      });
      s.step("createCount", () -> {
        admin.createTopics(List.of(new NewTopic(p + "-count", 3, (short) 1).configs(Map.of("retention.ms", "3600000", "flush.messages", "1000")))).all().get();
        return "ok";
      });
      s.step("createAssigned", () -> {
        admin.createTopics(List.of(new NewTopic(p + "-assigned", Map.of(0, List.of(me), 1, List.of(me))))).all().get();
        return "ok";
      });
      s.step("createValidateOnly", () -> {
        admin.createTopics(List.of(new NewTopic(p + "-validate", 2, (short) 1)), new CreateTopicsOptions().validateOnly(true)).all().get();
        return "ok";
      });
      s.step("createUnknownBroker", () -> {
        admin.createTopics(List.of(new NewTopic(p + "-bad1", Map.of(0, List.of(me + 100))))).all().get();
        return "ok";
      });
      s.step("createDuplicateReplica", () -> {
        admin.createTopics(List.of(new NewTopic(p + "-bad2", Map.of(0, List.of(me, me))))).all().get();
        return "ok";
      });
      s.step("createGap", () -> {
        admin.createTopics(List.of(new NewTopic(p + "-bad3", Map.of(0, List.of(me), 2, List.of(me))))).all().get();
        return "ok";
      });
      s.step("createBadConfig", () -> {
        admin.createTopics(List.of(new NewTopic(p + "-bad4", 1, (short) 1).configs(Map.of("no.such.config", "1")))).all().get();
        return "ok";
      });
      s.step("createExisting", () -> {
        admin.createTopics(List.of(new NewTopic(p + "-count", 1, (short) 1))).all().get();
        return "ok";
      });
      s.step("listTopics", () -> admin.listTopics().names().get().stream().filter(n -> n.startsWith(p)).sorted().toList());
      s.step("listTopicsInternal", () -> admin.listTopics(new ListTopicsOptions().listInternal(true)).listings().get().stream().filter(l -> l.isInternal()).map(l -> l.name()).sorted().toList());
      s.step("describeTopics", () -> {
        Map<String, TopicDescription> all = admin.describeTopics(List.of(p + "-count", p + "-assigned")).allTopicNames().get();
        return Json.obj("count", describe(all.get(p + "-count")), "assigned", describe(all.get(p + "-assigned")));
      });
      s.step("describeMissing", () -> admin.describeTopics(List.of(p + "-missing"), new org.apache.kafka.clients.admin.DescribeTopicsOptions().timeoutMs(5000)).allTopicNames().get().keySet());
      s.step("createPartitionsCount", () -> {
        admin.createPartitions(Map.of(p + "-count", NewPartitions.increaseTo(5))).all().get();
        return admin.describeTopics(List.of(p + "-count")).allTopicNames().get().get(p + "-count").partitions().size();
      });
      s.step("createPartitionsAssigned", () -> {
        admin.createPartitions(Map.of(p + "-assigned", NewPartitions.increaseTo(4, List.of(List.of(me), List.of(me))))).all().get();
        return describe(admin.describeTopics(List.of(p + "-assigned")).allTopicNames().get().get(p + "-assigned"));
      });
      s.step("createPartitionsWrongCount", () -> {
        admin.createPartitions(Map.of(p + "-assigned", NewPartitions.increaseTo(7, List.of(List.of(me))))).all().get();
        return "ok";
      });
      s.step("createPartitionsUnknownBroker", () -> {
        admin.createPartitions(Map.of(p + "-assigned", NewPartitions.increaseTo(5, List.of(List.of(me + 100))))).all().get();
        return "ok";
      });
      s.step("createPartitionsDecrease", () -> {
        admin.createPartitions(Map.of(p + "-count", NewPartitions.increaseTo(2))).all().get();
        return "ok";
      });
      s.step("createPartitionsValidateOnly", () -> {
        admin.createPartitions(Map.of(p + "-count", NewPartitions.increaseTo(9)), new CreatePartitionsOptions().validateOnly(true)).all().get();
        return admin.describeTopics(List.of(p + "-count")).allTopicNames().get().get(p + "-count").partitions().size();
      });
      s.step("deleteTopics", () -> {
        admin.deleteTopics(List.of(p + "-count", p + "-assigned")).all().get();
        // The broker asked may learn of the deletion a moment after the answer (Kafka after a
        // controller kill, CI 2026-12-02): list until the topics are gone, for at most 30 s.
        long deadline = System.currentTimeMillis() + 30_000;
        List<String> left = admin.listTopics().names().get().stream().filter(n -> n.startsWith(p)).sorted().toList();
        while (!left.isEmpty() && System.currentTimeMillis() < deadline) {
          Thread.sleep(200);
          left = admin.listTopics().names().get().stream().filter(n -> n.startsWith(p)).sorted().toList();
        }
        return left;
      });
      s.step("deleteMissing", () -> {
        admin.deleteTopics(List.of(p + "-missing"), new org.apache.kafka.clients.admin.DeleteTopicsOptions().timeoutMs(5000)).all().get();
        return "ok";
      });
    }
    s.print();
  }
}
