package tributary.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumers of one KIP-848 group (group.protocol=consumer, the server-side assignor named by
 * group.remote.assignor), driven alternately from one thread: two members share the topic, a
 * third joins, then the first leaves (close: a leave heartbeat). Every member commits after each
 * poll (A and C synchronously, B asynchronously) and synchronously in onPartitionsRevoked, so a
 * partition's next owner starts where the previous one stopped: no record is read twice.
 * Reports the partition counts per member at each step, what each member was assigned and revoked,
 * the committed offsets, and the group as Admin describes it.
 * Args: bootstrap topic group assignor(uniform|range), or "migration" for the rolling migration
 * between group.protocol=classic and consumer (migration()); -Dtopics.rf for the topic's
 * replication factor; Steps.pause point "settled" (three members balanced, everything committed).
 */
public final class ConsumerProtocolGroup {
  static final int PARTITIONS = 6;
  static final int PER_ROUND = 300;

  static final class Member {
    final String name;
    final KafkaConsumer<String, String> consumer;
    final List<Object> events = new ArrayList<>();
    final Set<TopicPartition> owned = new HashSet<>();
    final List<String> seen = new ArrayList<>();
    final boolean async;

    Member(String name, String bootstrap, String topic, String group, String assignor, boolean async) {
      this(name, bootstrap, topic, group, async, "group.protocol", "consumer", "group.remote.assignor", assignor);
    }

    /** `protocol`: the group.protocol settings (and what goes with them) of this member. */
    Member(String name, String bootstrap, String topic, String group, boolean async, Object... protocol) {
      this.name = name;
      this.async = async;
      List<Object> kv = new ArrayList<>(List.of("group.id", group, "client.id", "member-" + name, "enable.auto.commit", "false", "max.poll.records", "50"));
      kv.addAll(List.of(protocol));
      consumer = Clients.consumer(bootstrap, kv.toArray());
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> ps) {
          if (ps.isEmpty()) return;
          try {
            consumer.commitSync();
            events.add(Json.obj("revoked", names(ps)));
          } catch (RuntimeException e) {
            events.add(Json.obj("revoked", names(ps), "commitError", e.getClass().getSimpleName()));
          }
          owned.removeAll(ps);
        }

        public void onPartitionsAssigned(Collection<TopicPartition> ps) {
          if (ps.isEmpty()) return;
          events.add(Json.obj("assigned", names(ps)));
          owned.addAll(ps);
        }

        public void onPartitionsLost(Collection<TopicPartition> ps) {
          events.add(Json.obj("lost", names(ps)));
          owned.removeAll(ps);
        }
      });
    }

    void poll() {
      int n = 0;
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
        seen.add(r.value());
        n++;
      }
      if (n == 0) return;
      if (async) {
        consumer.commitAsync((offsets, e) -> {
          if (e != null) events.add(Json.obj("commitAsyncError", e.getClass().getSimpleName()));
        });
      } else {
        commit();
      }
    }

    void commit() {
      try {
        consumer.commitSync();
      } catch (RuntimeException e) {
        events.add(Json.obj("commitError", e.getClass().getSimpleName()));
      }
    }
  }

  static List<String> names(Collection<TopicPartition> ps) {
    return ps.stream().map(TopicPartition::toString).sorted().toList();
  }

  static void produce(String bootstrap, String topic, int round) {
    try (KafkaProducer<String, String> producer = Clients.producer(bootstrap)) {
      for (int i = 0; i < PER_ROUND; i++) producer.send(new ProducerRecord<>(topic, i % PARTITIONS, "k" + i, "r" + round + "-" + i));
    }
  }

  static int distinct(List<Member> members) {
    Set<String> all = new HashSet<>();
    for (Member m : members) all.addAll(m.seen);
    return all.size();
  }

  /** Partitions two live members owned at once, as their rebalance callbacks told them (never, if the coordinator is right). */
  static final Set<String> doubleOwned = new java.util.TreeSet<>();

  /** Polls the members until every partition is owned by exactly one, each owns its even share, and `wantSeen` distinct records arrived. */
  static boolean settle(List<Member> members, List<Member> all, int wantSeen, long timeoutMs) {
    long end = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < end) {
      for (Member m : members) m.poll();
      Set<TopicPartition> union = new HashSet<>();
      int owned = 0;
      for (Member m : members) {
        for (TopicPartition tp : m.owned) if (union.contains(tp)) doubleOwned.add(tp.toString());
        union.addAll(m.owned);
        owned += m.owned.size();
      }
      // Balanced: the uniform and range assignors both give each member PARTITIONS / members here.
      boolean balanced = members.stream().allMatch(m -> m.owned.size() == PARTITIONS / members.size());
      if (owned == PARTITIONS && union.size() == PARTITIONS && balanced && distinct(all) >= wantSeen) return true;
    }
    return false;
  }

  static List<Integer> counts(List<Member> members) {
    return members.stream().map(m -> m.owned.size()).sorted().toList();
  }

  static Map<String, Object> describe(Admin admin, String group) throws Exception {
    ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
    List<Integer> sizes = d.members().stream().map(m -> m.assignment().topicPartitions().size()).sorted().toList();
    return Json.obj("state", d.groupState().toString(), "type", String.valueOf(d.type()), "members", d.members().size(), "assignmentSizes", sizes, "assignor", d.partitionAssignor());
  }

  /** A member of the classic protocol (the consumer's default assignors, range first: eager), heartbeating every second. */
  static final Object[] CLASSIC = {"group.protocol", "classic", "heartbeat.interval.ms", "1000"};
  static final Object[] CONSUMER = {"group.protocol", "consumer"};

  /**
   * KIP-848 online migration, as an application rolls it out: three instances of the classic
   * protocol share the topic; one at a time each is closed and started again with
   * group.protocol=consumer (the first one converts the group into a consumer group, the classic
   * ones go on inside it), then one at a time back to classic (the last consumer-protocol member
   * leaving turns the group back into a classic group). A round of records is produced before each
   * step and the step settles when every partition has one owner, each instance its share, and
   * every record so far has been read; each instance commits after each poll and in
   * onPartitionsRevoked. Reports each step (settled, shares, the group's type and size), what was
   * read, the committed offsets, partitions two instances owned at once, lost partitions and
   * commit errors.
   */
  static void migration(String bootstrap, String topic, String group, Map<String, Object> out) throws Exception {
    try (Admin admin = Clients.admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, Clients.rf()))).all().get();
      produce(bootstrap, topic, 1);
      String[] names = {"a", "b", "c"};
      List<Member> live = new ArrayList<>();
      for (String n : names) live.add(new Member(n + "-classic", bootstrap, topic, group, false, CLASSIC));
      List<Member> all = new ArrayList<>(live);
      List<Object> steps = new ArrayList<>();
      boolean settled = settle(live, all, PER_ROUND, 120_000);
      steps.add(Json.obj("step", "classic", "settled", settled, "counts", counts(live), "type", describeType(admin, group)));
      int round = 1;
      for (String protocol : List.of("consumer", "classic")) {
        for (int i = 0; i < names.length; i++) {
          live.get(i).consumer.close(Duration.ofSeconds(10));
          Member next = new Member(names[i] + "-" + protocol + "-again", bootstrap, topic, group, false, protocol.equals("classic") ? CLASSIC : CONSUMER);
          live.set(i, next);
          all.add(next);
          produce(bootstrap, topic, ++round);
          settled = settle(live, all, PER_ROUND * round, 120_000);
          steps.add(Json.obj("step", names[i] + " to " + protocol, "settled", settled, "counts", counts(live), "type", describeType(admin, group)));
        }
      }
      for (Member m : live) m.commit();
      out.put("steps", steps);
      int consumed = 0;
      for (Member m : all) consumed += m.seen.size();
      out.put("consumed", consumed);
      out.put("distinct", distinct(all));
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<String, Object> cm = new TreeMap<>();
      committed.forEach((tp, o) -> cm.put(tp.toString(), o.offset()));
      out.put("committed", cm);
      out.put("doubleOwned", new ArrayList<>(doubleOwned));
      List<Object> lost = new ArrayList<>();
      List<Object> commitErrors = new ArrayList<>();
      Map<String, Object> events = new TreeMap<>();
      for (Member m : all) {
        events.put(m.name, m.events);
        for (Object e : m.events) {
          @SuppressWarnings("unchecked") Map<String, Object> ev = (Map<String, Object>) e;
          if (ev.containsKey("lost")) lost.add(Json.obj(m.name, ev));
          if (ev.containsKey("commitError") || ev.containsKey("commitAsyncError")) commitErrors.add(Json.obj(m.name, ev));
        }
      }
      out.put("lost", lost);
      out.put("commitErrors", commitErrors);
      out.put("events", events);
      for (Member m : live) m.consumer.close(Duration.ofSeconds(10));
    }
  }

  /** The group's type and member count as Admin describes it (Consumer while a member of the consumer protocol is in it). */
  static Map<String, Object> describeType(Admin admin, String group) throws Exception {
    ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
    return Json.obj("type", String.valueOf(d.type()), "members", d.members().size());
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    String assignor = args[3];
    Map<String, Object> out = new TreeMap<>();
    if (assignor.equals("migration")) {
      migration(bootstrap, topic, group, out);
      Json.result(out);
      return;
    }
    try (Admin admin = Clients.admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, Clients.rf()))).all().get();
      produce(bootstrap, topic, 1);
      Member a = new Member("a", bootstrap, topic, group, assignor, false);
      Member b = new Member("b", bootstrap, topic, group, assignor, true);
      List<Member> all = new ArrayList<>(List.of(a, b));
      out.put("settledTwo", settle(List.of(a, b), all, PER_ROUND, 90_000));
      out.put("countsTwo", counts(List.of(a, b)));
      Member c = new Member("c", bootstrap, topic, group, assignor, false);
      all.add(c);
      produce(bootstrap, topic, 2);
      out.put("settledThree", settle(List.of(a, b, c), all, PER_ROUND * 2, 90_000));
      out.put("countsThree", counts(List.of(a, b, c)));
      out.put("describedThree", describe(admin, group));
      a.commit();
      b.commit();
      c.commit();
      // A cluster test kills the group's coordinator here; the three members go on through the
      // failover (their heartbeats find the new coordinator, which loaded the group).
      Steps.pause("settled", () -> Clients.groupFacts(admin, topic, group));
      a.consumer.close(Duration.ofSeconds(10));
      produce(bootstrap, topic, 3);
      out.put("settledAfterLeave", settle(List.of(b, c), all, PER_ROUND * 3, 90_000));
      out.put("countsAfterLeave", counts(List.of(b, c)));
      b.commit();
      c.commit();
      out.put("describedAfterLeave", describe(admin, group));
      int consumed = 0;
      for (Member m : all) consumed += m.seen.size();
      out.put("consumed", consumed);
      out.put("distinct", distinct(all));
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<String, Object> cm = new TreeMap<>();
      committed.forEach((tp, o) -> cm.put(tp.toString(), o.offset()));
      out.put("committed", cm);
      List<Object> lost = new ArrayList<>();
      List<Object> commitErrors = new ArrayList<>();
      for (Member m : all) {
        for (Object e : m.events) {
          @SuppressWarnings("unchecked") Map<String, Object> ev = (Map<String, Object>) e;
          if (ev.containsKey("lost")) lost.add(Json.obj(m.name, ev));
          if (ev.containsKey("commitError") || ev.containsKey("commitAsyncError")) commitErrors.add(Json.obj(m.name, ev));
        }
      }
      out.put("lost", lost);
      out.put("commitErrors", commitErrors);
      out.put("events", Json.obj("a", a.events, "b", b.events, "c", c.events));
      b.consumer.close(Duration.ofSeconds(10));
      c.consumer.close(Duration.ofSeconds(10));
      out.put("describedEnd", describe(admin, group));
    }
    Json.result(out);
  }
}
