package tributary.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Two consumers of one classic group (driven alternately from one thread; each has its own
 * heartbeat thread): both share the partitions, member A commits synchronously and member B
 * asynchronously after every poll; then A leaves (dynamic members: LeaveGroup on close; static
 * members: closed and restarted with the same group.instance.id, which must not move partitions).
 * Reports what each member consumed and was assigned/revoked, and the committed offsets.
 * Args: bootstrap topic group assignor(range|cooperative-sticky) static(true|false)
 * [replication factor of the topic, default 1]
 */
public final class GroupRebalance {
  static final int PARTITIONS = 4;
  static final int PER_ROUND = 200;

  static final class Member {
    final String name;
    final KafkaConsumer<String, String> consumer;
    final List<Object> events = new ArrayList<>();
    final Set<TopicPartition> owned = new HashSet<>();
    final List<String> seen = new ArrayList<>();
    final boolean async;

    Member(String name, String bootstrap, String topic, String group, String assignor, boolean isStatic, boolean async) {
      this.name = name;
      this.async = async;
      String strategy = assignor.equals("range") ? "org.apache.kafka.clients.consumer.RangeAssignor" : "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
      List<Object> kv = new ArrayList<>(List.of("group.id", group, "client.id", "member-" + name, "enable.auto.commit", "false", "partition.assignment.strategy", strategy, "session.timeout.ms", "10000", "heartbeat.interval.ms", "500", "max.poll.records", "50"));
      if (isStatic) kv.addAll(List.of("group.instance.id", "instance-" + name));
      consumer = Clients.consumer(bootstrap, kv.toArray());
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> ps) {
          if (!ps.isEmpty()) {
            // The commit a member makes while it gives partitions up (Kafka accepts it while the group
            // prepares the rebalance; it may still fail later in the rebalance, and then the records
            // after the last commit are read again by the next owner).
            try {
              consumer.commitSync();
              events.add(Json.obj("revoked", names(ps)));
            } catch (RuntimeException e) {
              events.add(Json.obj("revoked", names(ps), "commitError", e.getClass().getSimpleName()));
            }
          }
          owned.removeAll(ps);
        }

        public void onPartitionsAssigned(Collection<TopicPartition> ps) {
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
      if (n > 0) {
        if (async) consumer.commitAsync((offsets, e) -> {
          if (e != null) events.add(Json.obj("commitAsyncError", e.getClass().getSimpleName()));
        });
        else commit();
      }
    }

    /** commitSync; a commit the group refuses mid-rebalance is recorded, and the next poll rejoins (as an application would). */
    void commit() {
      try {
        consumer.commitSync();
      } catch (org.apache.kafka.common.errors.RebalanceInProgressException | org.apache.kafka.clients.consumer.CommitFailedException e) {
        events.add(Json.obj("commitError", e.getClass().getSimpleName()));
      }
    }
  }

  static int distinct(Member... members) {
    Set<String> all = new HashSet<>();
    for (Member m : members) all.addAll(m.seen);
    return all.size();
  }

  static List<String> names(Collection<TopicPartition> ps) {
    return ps.stream().map(TopicPartition::toString).sorted().toList();
  }

  static void produce(String bootstrap, String topic, int round) {
    try (KafkaProducer<String, String> producer = Clients.producer(bootstrap)) {
      for (int i = 0; i < PER_ROUND; i++) producer.send(new ProducerRecord<>(topic, i % PARTITIONS, "k" + i, "r" + round + "-" + i));
    }
  }

  /** Polls both members until every partition is owned by exactly one of them and the records arrived. */
  static boolean settle(List<Member> members, List<Member> all, int wantSeen, long timeoutMs) {
    long end = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < end) {
      for (Member m : members) m.poll();
      int owned = members.stream().mapToInt(m -> m.owned.size()).sum();
      Set<String> distinct = new HashSet<>();
      for (Member m : all) distinct.addAll(m.seen);
      int seen = distinct.size();
      boolean everyoneHas = members.stream().allMatch(m -> !m.owned.isEmpty());
      if (owned == PARTITIONS && everyoneHas && seen >= wantSeen) return true;
    }
    return false;
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    String assignor = args[3];
    boolean isStatic = Boolean.parseBoolean(args[4]);
    short replicationFactor = args.length > 5 ? Short.parseShort(args[5]) : 1;
    Map<String, Object> out = new TreeMap<>();
    try (Admin admin = Clients.admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, replicationFactor))).all().get();
      produce(bootstrap, topic, 1);
      Member a = new Member("a", bootstrap, topic, group, assignor, isStatic, false);
      Member b = new Member("b", bootstrap, topic, group, assignor, isStatic, true);
      out.put("settledTwo", settle(List.of(a, b), List.of(a, b), PER_ROUND, 60_000));
      out.put("assignedTwo", Json.obj("a", names(a.owned), "b", names(b.owned)));
      a.commit();
      b.commit();
      // A cluster test kills a broker here (the group's coordinator), and both members run on
      // through the failover: A leaves or restarts, round 2 is produced and consumed.
      Steps.pause("settled", () -> Clients.groupFacts(admin, topic, group));
      Map<String, Object> bEventsBefore = Json.obj("count", b.events.size());
      List<String> aOwned = names(a.owned);
      a.consumer.close(Duration.ofSeconds(10));
      Member a2 = null;
      if (isStatic) {
        // The same static member comes back before its session timeout: it gets its partitions back
        // and the other member is not disturbed.
        a2 = new Member("a", bootstrap, topic, group, assignor, true, false);
        produce(bootstrap, topic, 2);
        out.put("settledRestart", settle(List.of(a2, b), List.of(a, a2, b), PER_ROUND * 2, 60_000));
        out.put("restartedOwns", names(a2.owned));
        out.put("ownedBefore", aOwned);
        out.put("bEventsAfterRestart", new ArrayList<>(b.events.subList((int) bEventsBefore.get("count"), b.events.size())));
      } else {
        produce(bootstrap, topic, 2);
        long end = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < end && (b.owned.size() < PARTITIONS || distinct(a, b) < PER_ROUND * 2)) b.poll();
        out.put("bOwnsAll", b.owned.size() == PARTITIONS);
      }
      b.commit();
      if (a2 != null) a2.commit();
      List<String> all = new ArrayList<>(a.seen);
      all.addAll(b.seen);
      if (a2 != null) all.addAll(a2.seen);
      out.put("consumed", all.size());
      out.put("distinct", new HashSet<>(all).size());
      out.put("events", Json.obj("a", a.events, "b", b.events, "a2", a2 == null ? null : a2.events));
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<String, Object> c = new TreeMap<>();
      committed.forEach((tp, o) -> c.put(tp.toString(), o.offset()));
      out.put("committed", c);
      if (a2 != null) a2.consumer.close(Duration.ofSeconds(10));
      b.consumer.close(Duration.ofSeconds(10));
      Map<String, Object> groupState = new HashMap<>();
      groupState.put("state", admin.describeConsumerGroups(List.of(group)).all().get().get(group).groupState().toString());
      out.put("finalGroup", groupState);
    }
    Json.result(out);
  }
}
