package tributary.compat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * AdminClient consumer-group methods around a live classic group, then an empty one:
 * listConsumerGroups, listGroups, describeConsumerGroups (Kafka 4 clients try ConsumerGroupDescribe
 * first), listConsumerGroupOffsets, alterConsumerGroupOffsets (refused while members are active),
 * deleteConsumerGroupOffsets, deleteConsumerGroups. Args: bootstrap topic group
 */
public final class AdminGroups {
  static Map<String, Object> offsets(Map<TopicPartition, OffsetAndMetadata> m) {
    Map<String, Object> out = new TreeMap<>();
    m.forEach((tp, o) -> out.put(tp.toString(), o == null ? null : Json.obj("offset", o.offset(), "metadata", o.metadata())));
    return out;
  }

  static Map<String, Object> describe(ConsumerGroupDescription d) {
    List<Object> members = d.members().stream().map((MemberDescription m) -> (Object) Json.obj("clientId", m.clientId(), "host", m.host(), "instanceId", m.groupInstanceId().orElse(null), "assignment", m.assignment().topicPartitions().stream().map(TopicPartition::toString).sorted().toList())).toList();
    return Json.obj("groupId", d.groupId(), "state", d.groupState().toString(), "type", d.type().toString(), "simple", d.isSimpleConsumerGroup(), "assignor", d.partitionAssignor(), "coordinator", d.coordinator() == null ? null : d.coordinator().id(), "members", members);
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
      try (KafkaProducer<String, String> producer = Clients.producer(bootstrap)) {
        for (int i = 0; i < 20; i++) producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i));
      }
      KafkaConsumer<String, String> consumer = Clients.consumer(bootstrap, "group.id", group, "client.id", "admin-groups-member", "enable.auto.commit", "false");
      consumer.subscribe(List.of(topic));
      s.step("consumed", () -> {
        int n = Clients.pollUntil(consumer, 20, 30_000).size();
        consumer.commitSync();
        return n;
      });
      s.step("listConsumerGroups", () -> admin.listConsumerGroups().all().get().stream().filter(l -> l.groupId().equals(group)).map(l -> Json.obj("groupId", l.groupId(), "state", l.groupState().map(Object::toString).orElse(null), "type", l.type().map(Object::toString).orElse(null), "simple", l.isSimpleConsumerGroup())).toList());
      s.step("listGroups", () -> admin.listGroups().all().get().stream().filter(l -> l.groupId().equals(group)).map(l -> Json.obj("groupId", l.groupId(), "state", l.groupState().map(Object::toString).orElse(null), "type", l.type().map(Object::toString).orElse(null), "protocol", l.protocol())).toList());
      s.step("describeActive", () -> describe(admin.describeConsumerGroups(List.of(group)).all().get().get(group)));
      s.step("listOffsetsActive", () -> offsets(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()));
      s.step("alterWhileActive", () -> {
        admin.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(3))).all().get();
        return "ok";
      });
      s.step("deleteWhileActive", () -> {
        admin.deleteConsumerGroups(List.of(group)).all().get();
        return "ok";
      });
      s.step("deleteOffsetsWhileSubscribed", () -> {
        admin.deleteConsumerGroupOffsets(group, Set.of(p0)).all().get();
        return "ok";
      });
      consumer.close(Duration.ofSeconds(10));
      // A cluster test kills a partition leader here: the group's offsets must survive it.
      Steps.pause("closed", () -> Clients.groupFacts(admin, topic, group));
      s.step("describeEmpty", () -> describe(admin.describeConsumerGroups(List.of(group)).all().get().get(group)));
      s.step("alterOffsets", () -> {
        admin.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(3, "three"), p1, new OffsetAndMetadata(4))).all().get();
        return offsets(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get());
      });
      s.step("deleteOffsets", () -> {
        admin.deleteConsumerGroupOffsets(group, Set.of(p0)).all().get();
        return offsets(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get());
      });
      s.step("deleteGroup", () -> {
        admin.deleteConsumerGroups(List.of(group)).all().get();
        return admin.listConsumerGroups().all().get().stream().filter(l -> l.groupId().equals(group)).count();
      });
      s.step("describeMissing", () -> describe(admin.describeConsumerGroups(List.of(group + "-missing")).all().get().get(group + "-missing")));
      s.step("deleteMissing", () -> {
        admin.deleteConsumerGroups(List.of(group + "-missing")).all().get();
        return "ok";
      });
    }
    s.print();
  }
}
