package tributary.compat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

/**
 * AdminClient security methods: createAcls / describeAcls / deleteAcls with filters,
 * alterClientQuotas / describeClientQuotas, alterUserScramCredentials /
 * describeUserScramCredentials. Args: bootstrap user
 */
public final class AdminSecurity {
  static List<Object> bindings(java.util.Collection<AclBinding> acls) {
    return acls.stream().map(a -> (Object) String.join(" ", a.pattern().resourceType().name(), a.pattern().name(), a.pattern().patternType().name(), a.entry().principal(), a.entry().host(), a.entry().operation().name(), a.entry().permissionType().name())).sorted((x, y) -> x.toString().compareTo(y.toString())).toList();
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String user = args[1];
    String principal = "User:" + user;
    Steps s = new Steps();
    try (Admin admin = Clients.admin(bootstrap)) {
      // A cluster test kills the controller here, once the client has its metadata.
      Steps.pause("start", () -> Clients.clusterFacts(admin, null));
      s.step("createAcls", () -> {
        admin.createAcls(List.of(
            new AclBinding(new ResourcePattern(ResourceType.TOPIC, "orders", PatternType.LITERAL), new AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW)),
            new AclBinding(new ResourcePattern(ResourceType.TOPIC, "orders-", PatternType.PREFIXED), new AccessControlEntry(principal, "*", AclOperation.WRITE, AclPermissionType.ALLOW)),
            new AclBinding(new ResourcePattern(ResourceType.GROUP, "g-", PatternType.PREFIXED), new AccessControlEntry(principal, "10.0.0.1", AclOperation.READ, AclPermissionType.DENY)))).all().get();
        return "ok";
      });
      s.step("createInvalid", () -> {
        admin.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "x", PatternType.LITERAL), new AccessControlEntry("nobody", "*", AclOperation.READ, AclPermissionType.ALLOW)))).all().get();
        return "ok";
      });
      s.step("describeAll", () -> bindings(admin.describeAcls(AclBindingFilter.ANY).values().get()));
      s.step("describeMatch", () -> bindings(admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "orders-eu", PatternType.MATCH), AccessControlEntryFilter.ANY)).values().get()));
      s.step("deleteAcls", () -> bindings(admin.deleteAcls(List.of(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, null, PatternType.ANY), new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY)))).all().get()));
      s.step("describeAfterDelete", () -> bindings(admin.describeAcls(AclBindingFilter.ANY).values().get()));
      ClientQuotaEntity userEntity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, user));
      ClientQuotaEntity clientEntity = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, user, ClientQuotaEntity.CLIENT_ID, "app-1"));
      s.step("alterQuotas", () -> {
        admin.alterClientQuotas(List.of(
            new ClientQuotaAlteration(userEntity, List.of(new ClientQuotaAlteration.Op("producer_byte_rate", 1048576.0), new ClientQuotaAlteration.Op("consumer_byte_rate", 2097152.0))),
            new ClientQuotaAlteration(clientEntity, List.of(new ClientQuotaAlteration.Op("request_percentage", 50.0))))).all().get();
        return "ok";
      });
      s.step("alterQuotaInvalid", () -> {
        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(userEntity, List.of(new ClientQuotaAlteration.Op("no_such_quota", 1.0))))).all().get();
        return "ok";
      });
      s.step("describeQuotas", () -> {
        Map<String, Object> out = new TreeMap<>();
        admin.describeClientQuotas(ClientQuotaFilter.all()).entities().get().forEach((e, q) -> out.put(new TreeMap<>(e.entries()).toString(), new TreeMap<>(q)));
        return out;
      });
      s.step("removeQuota", () -> {
        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(userEntity, List.of(new ClientQuotaAlteration.Op("producer_byte_rate", null))))).all().get();
        Map<String, Object> out = new TreeMap<>();
        admin.describeClientQuotas(ClientQuotaFilter.all()).entities().get().forEach((e, q) -> out.put(new TreeMap<>(e.entries()).toString(), new TreeMap<>(q)));
        return out;
      });
      s.step("alterScram", () -> {
        // One change per user and request (two in one request is DuplicateResourceException, as in Kafka).
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), "pw-" + user))).all().get();
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "pw-" + user))).all().get();
        return "ok";
      });
      s.step("alterScramTwiceInOneRequest", () -> {
        admin.alterUserScramCredentials(List.of(
            new UserScramCredentialUpsertion(user + "-2", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), "pw"),
            new UserScramCredentialUpsertion(user + "-2", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "pw"))).all().get();
        return "ok";
      });
      s.step("describeScram", () -> {
        var d = admin.describeUserScramCredentials(List.of(user)).description(user).get();
        return d.credentialInfos().stream().map(c -> (Object) (c.mechanism().name() + ":" + c.iterations())).sorted((x, y) -> x.toString().compareTo(y.toString())).toList();
      });
      s.step("alterScramTooFewIterations", () -> {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user + "-weak", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 10), "pw"))).all().get();
        return "ok";
      });
      s.step("deleteScram", () -> {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_256))).all().get();
        var d = admin.describeUserScramCredentials(List.of(user)).description(user).get();
        return d.credentialInfos().stream().map(c -> (Object) c.mechanism().name()).toList();
      });
      s.step("describeScramMissing", () -> admin.describeUserScramCredentials(List.of(user + "-missing")).description(user + "-missing").get().credentialInfos().size());
    }
    s.print();
  }
}
