package tributary.compat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * AdminClient methods the other programs do not call: describeTopics by topic id,
 * listConsumerGroupOffsets for several groups in one call (OffsetFetch's batched groups),
 * removeMembersFromConsumerGroup (a static member by instance id, an unknown one, then every
 * member), electLeaders (preferred and unclean), describeProducers, fenceProducers,
 * listConfigResources and describeMetadataQuorum. Args: bootstrap topic group
 */
public final class AdminMisc {
  static Map<String, Object> offsets(Map<TopicPartition, OffsetAndMetadata> m) {
    Map<String, Object> out = new TreeMap<>();
    m.forEach((tp, o) -> out.put(tp.toString(), o == null ? null : o.offset()));
    return out;
  }

  static Map<String, Object> topic(TopicDescription d) {
    return Json.obj("name", d.name(), "internal", d.isInternal(), "partitions", d.partitions().size());
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);
    Steps s = new Steps();
    try (Admin admin = Clients.admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, 2, Clients.rf()))).all().get();
      Uuid id = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).topicId();
      s.step("describeTopicsById", () -> topic(admin.describeTopics(TopicCollection.ofTopicIds(List.of(id))).allTopicIds().get().get(id)));
      s.step("describeTopicsByUnknownId", () -> topic(admin.describeTopics(TopicCollection.ofTopicIds(List.of(Uuid.randomUuid()))).allTopicIds().get().values().iterator().next()));
      s.step("describeTopicsAuthorizedOperations", () -> admin.describeTopics(List.of(topic), new DescribeTopicsOptions().includeAuthorizedOperations(true)).allTopicNames().get().get(topic).authorizedOperations().stream().map(Object::toString).sorted().toList());

      try (KafkaProducer<String, String> producer = Clients.producer(bootstrap, "enable.idempotence", "true")) {
        for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i)).get();
      }
      s.step("describeProducers", () -> admin.describeProducers(List.of(p0)).partitionResult(p0).get().activeProducers().stream().map((ProducerState p) -> (Object) Json.obj("epoch", p.producerEpoch(), "lastSequence", p.lastSequence(), "coordinatorEpoch", p.coordinatorEpoch().orElse(-1), "txnStartOffset", p.currentTransactionStartOffset().orElse(-1L))).toList());

      // A static member (group.instance.id) commits and closes: it stays in the group until removed.
      KafkaConsumer<String, String> consumer = Clients.consumer(bootstrap, "group.id", group, "group.instance.id", "misc-static", "enable.auto.commit", "false", "session.timeout.ms", "45000");
      consumer.subscribe(List.of(topic));
      Clients.pollUntil(consumer, 10, 30_000);
      consumer.commitSync();
      consumer.close(Duration.ofSeconds(10));
      admin.alterConsumerGroupOffsets(group + "-b", Map.of(p1, new OffsetAndMetadata(2))).all().get();
      s.step("listOffsetsOfTwoGroups", () -> {
        var r = admin.listConsumerGroupOffsets(Map.of(group, new ListConsumerGroupOffsetsSpec(), group + "-b", new ListConsumerGroupOffsetsSpec().topicPartitions(List.of(p0, p1))));
        return Json.obj("a", offsets(r.partitionsToOffsetAndMetadata(group).get()), "b", offsets(r.partitionsToOffsetAndMetadata(group + "-b").get()), "missing", offsets(admin.listConsumerGroupOffsets("misc-no-such-group").partitionsToOffsetAndMetadata().get()));
      });
      s.step("describeWithStaticMember", () -> admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().stream().map(m -> m.groupInstanceId().orElse(null)).toList());
      s.step("removeUnknownMember", () -> {
        admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions(Set.of(new MemberToRemove("misc-nobody")))).all().get();
        return "ok";
      });
      s.step("removeStaticMember", () -> {
        admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions(Set.of(new MemberToRemove("misc-static")))).all().get();
        var d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        return Json.obj("state", d.groupState().toString(), "members", d.members().size());
      });
      s.step("removeAllOfEmptyGroup", () -> {
        admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions()).all().get();
        return "ok";
      });
      s.step("removeFromMissingGroup", () -> {
        admin.removeMembersFromConsumerGroup("misc-no-such-group", new RemoveMembersFromConsumerGroupOptions(Set.of(new MemberToRemove("x")))).all().get();
        return "ok";
      });

      s.step("electPreferred", () -> {
        Map<String, Object> out = new TreeMap<>();
        admin.electLeaders(ElectionType.PREFERRED, Set.of(p0, new TopicPartition(topic, 9))).partitions().get().forEach((tp, e) -> out.put(tp.toString(), e.map(x -> x.getClass().getSimpleName()).orElse("ok")));
        return out;
      });
      s.step("electUnclean", () -> {
        Map<String, Object> out = new TreeMap<>();
        admin.electLeaders(ElectionType.UNCLEAN, Set.of(p1)).partitions().get().forEach((tp, e) -> out.put(tp.toString(), e.map(x -> x.getClass().getSimpleName()).orElse("ok")));
        return out;
      });
      s.step("electPreferredAll", () -> admin.electLeaders(ElectionType.PREFERRED, null).partitions().get().entrySet().stream().filter(e -> e.getKey().topic().equals(topic)).map(e -> e.getKey() + "=" + e.getValue().map(x -> x.getClass().getSimpleName()).orElse("ok")).sorted().toList());

      s.step("fenceProducers", () -> {
        admin.fenceProducers(List.of("misc-fenced")).all().get();
        var d = admin.describeTransactions(List.of("misc-fenced")).all().get().get("misc-fenced");
        return Json.obj("state", d.state().toString(), "epoch", d.producerEpoch(), "partitions", d.topicPartitions().size());
      });
      s.step("fenceProducersTwice", () -> {
        admin.fenceProducers(List.of("misc-fenced")).all().get();
        return admin.describeTransactions(List.of("misc-fenced")).all().get().get("misc-fenced").producerEpoch();
      });
      s.step("listTransactionsFilteredByState", () -> admin.listTransactions(new org.apache.kafka.clients.admin.ListTransactionsOptions().filterStates(List.of(org.apache.kafka.clients.admin.TransactionState.EMPTY))).all().get().stream().map(l -> l.transactionalId()).filter(t -> t.startsWith("misc-")).toList());

      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.CLIENT_METRICS, "misc-metrics"), List.of(new org.apache.kafka.clients.admin.AlterConfigOp(new ConfigEntry("metrics", "org.apache.kafka."), org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
      s.step("listConfigResourcesClientMetrics", () -> admin.listConfigResources(Set.of(ConfigResource.Type.CLIENT_METRICS), new org.apache.kafka.clients.admin.ListConfigResourcesOptions()).all().get().stream().map(ConfigResource::name).sorted().toList());
      // Groups with configs of their own are config resources; the groups above, without any, are not.
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group + "-conf"), List.of(new org.apache.kafka.clients.admin.AlterConfigOp(new ConfigEntry("consumer.session.timeout.ms", "50000"), org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
      s.step("listConfigResourcesGroups", () -> admin.listConfigResources(Set.of(ConfigResource.Type.GROUP), new org.apache.kafka.clients.admin.ListConfigResourcesOptions()).all().get().stream().map(ConfigResource::name).sorted().toList());
      s.step("describeMetadataQuorum", () -> admin.describeMetadataQuorum().quorumInfo().get().leaderId());
      s.step("unregisterUnknownBroker", () -> {
        admin.unregisterBroker(99).all().get();
        return "ok";
      });
    }
    s.print();
  }
}
