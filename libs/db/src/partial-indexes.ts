/**
 * The partial unique indexes of prisma/migrations that schema.prisma cannot express (Prisma 6 has no
 * `WHERE` on @@unique): a name is unique among live rows only (`deleted_at IS NULL`), so a deleted
 * resource's name can be reused at once while its row stays for the operator and the audit trail.
 * The schema-match test tolerates exactly these differences between the migrated database and
 * schema.prisma.
 */
export const PARTIAL_UNIQUE_INDEXES = [
  'instance_live_name',
  'topic_live_name',
  'kafka_user_live_name',
  'acl_live_name',
  'client_quota_live_name',
  'consumer_group_quota_live_name',
] as const;
