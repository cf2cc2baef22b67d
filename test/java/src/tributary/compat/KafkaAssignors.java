package tributary.compat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.coordinator.group.api.assignor.ConsumerGroupPartitionAssignor;
import org.apache.kafka.coordinator.group.api.assignor.GroupAssignment;
import org.apache.kafka.coordinator.group.api.assignor.MemberAssignment;
import org.apache.kafka.coordinator.group.api.assignor.SubscribedTopicDescriber;
import org.apache.kafka.coordinator.group.api.assignor.SubscriptionType;
import org.apache.kafka.coordinator.group.assignor.RangeAssignor;
import org.apache.kafka.coordinator.group.assignor.UniformAssignor;
import org.apache.kafka.coordinator.group.modern.Assignment;
import org.apache.kafka.coordinator.group.modern.GroupSpecImpl;
import org.apache.kafka.coordinator.group.modern.MemberSubscriptionAndAssignmentImpl;

/**
 * Kafka 4.4's own KIP-848 server assignors (UniformAssignor, RangeAssignor) run on the cases of a
 * file, for apps/broker's assignor differential test. One case:
 *
 *   case NAME uniform|range
 *   topic TOPIC-UUID PARTITIONS
 *   member MEMBER-ID INSTANCE-ID|- TOPIC-UUID,...|- TOPIC-UUID:P.P.P;TOPIC-UUID:P|-
 *   end
 *
 * Members are put into the group spec's map in the file's order and each member's subscription and
 * current assignment are HashSets built from the file's order, as Tributary's emulation assumes
 * (Kafka's assignors iterate these hash maps and sets). RESULT: {case: {member: {topic: [partitions sorted]}}}.
 */
public final class KafkaAssignors {
  private KafkaAssignors() {}

  static Uuid uuid(String s) {
    UUID u = UUID.fromString(s);
    return new Uuid(u.getMostSignificantBits(), u.getLeastSignificantBits());
  }

  static String dashed(Uuid u) {
    return new UUID(u.getMostSignificantBits(), u.getLeastSignificantBits()).toString();
  }

  public static void main(String[] args) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    String name = null;
    ConsumerGroupPartitionAssignor assignor = null;
    Map<Uuid, Integer> partitions = new HashMap<>();
    Map<String, MemberSubscriptionAndAssignmentImpl> members = new HashMap<>();
    List<Set<Uuid>> subscriptions = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      String[] f = line.trim().split(" ");
      switch (f[0]) {
        case "case" -> {
          name = f[1];
          assignor = f[2].equals("range") ? new RangeAssignor() : new UniformAssignor();
          partitions = new HashMap<>();
          members = new HashMap<>();
          subscriptions = new ArrayList<>();
        }
        case "topic" -> partitions.put(uuid(f[1]), Integer.parseInt(f[2]));
        case "member" -> {
          List<Uuid> topics = new ArrayList<>();
          if (!f[3].equals("-")) for (String t : f[3].split(",")) topics.add(uuid(t));
          Map<Uuid, Set<Integer>> current = new HashMap<>();
          if (!f[4].equals("-")) {
            for (String tp : f[4].split(";")) {
              String[] kv = tp.split(":");
              List<Integer> ps = new ArrayList<>();
              for (String p : kv[1].split("\\.")) ps.add(Integer.parseInt(p));
              current.put(uuid(kv[0]), new HashSet<>(ps));
            }
          }
          Set<Uuid> subscribed = new HashSet<>(topics);
          subscriptions.add(subscribed);
          Optional<String> instance = f[2].equals("-") ? Optional.empty() : Optional.of(f[2]);
          members.put(f[1], new MemberSubscriptionAndAssignmentImpl(Optional.empty(), instance, subscribed, new Assignment(Collections.unmodifiableMap(current))));
        }
        case "end" -> {
          Set<Uuid> first = subscriptions.get(0);
          boolean homogeneous = subscriptions.stream().allMatch(s -> s.equals(first));
          // Who is meant to own each partition now (Kafka's inverted target assignment, isPartitionAssigned).
          Map<Uuid, Map<Integer, String>> owners = new HashMap<>();
          for (Map.Entry<String, MemberSubscriptionAndAssignmentImpl> m : members.entrySet()) {
            for (Map.Entry<Uuid, Set<Integer>> e : m.getValue().partitions().entrySet()) {
              for (Integer p : e.getValue()) owners.computeIfAbsent(e.getKey(), k -> new HashMap<>()).put(p, m.getKey());
            }
          }
          Map<Uuid, Integer> counts = partitions;
          SubscribedTopicDescriber describer = new SubscribedTopicDescriber() {
            @Override public int numPartitions(Uuid topicId) { return counts.getOrDefault(topicId, -1); }
            @Override public Set<String> racksForPartition(Uuid topicId, int partition) { return Set.of(); }
          };
          GroupAssignment result = assignor.assign(new GroupSpecImpl(Collections.unmodifiableMap(members), homogeneous ? SubscriptionType.HOMOGENEOUS : SubscriptionType.HETEROGENEOUS, owners), describer);
          Map<String, Object> byMember = new TreeMap<>();
          for (String memberId : members.keySet()) {
            MemberAssignment a = result.members().get(memberId);
            Map<String, Object> byTopic = new TreeMap<>();
            if (a != null) for (Map.Entry<Uuid, Set<Integer>> e : a.partitions().entrySet()) {
              if (e.getValue().isEmpty()) continue;
              List<Integer> ps = new ArrayList<>(e.getValue());
              Collections.sort(ps);
              byTopic.put(dashed(e.getKey()), ps);
            }
            byMember.put(memberId, byTopic);
          }
          out.put(name, byMember);
        }
        default -> { }
      }
    }
    Json.result(out);
  }
}
