-- Hand-written. Copies the rows of the interim tables (moved to the schema "interim" by
-- 20261123085900_set_aside_interim_tables) into the Prisma tables: instance specs from JSON into
-- their columns, the per-instance objects into their own tables. The interim tables stay, unused.
-- Idempotency records (24 h) are not copied. Does nothing on a database without interim tables.
DO $$
BEGIN
  IF to_regclass('interim.api_instance') IS NULL THEN
    RETURN;
  END IF;

  INSERT INTO "account" ("id", "name", "email", "created_at", "updated_at")
  SELECT id, name, email, created_at, updated_at FROM interim.api_account
  ON CONFLICT DO NOTHING;

  INSERT INTO "api_key" ("id", "account_id", "name", "role", "prefix", "hash", "revoked_at", "last_used_at", "created_at")
  SELECT id, account_id, name, role::"Role", prefix, hash, revoked_at, last_used_at, created_at FROM interim.api_key
  ON CONFLICT DO NOTHING;

  INSERT INTO "instance" ("id", "account_id", "name", "labels", "zone", "brokers", "bandwidth_mbps", "disk_gib", "partition_limit",
    "topic_limit", "consumer_group_limit", "billing_mode", "billing_period_months", "billing_auto_renew", "broker_config", "generation",
    "observed_generation", "phase", "status_brokers", "bootstrap_servers", "sasl_bootstrap_servers", "conditions", "billing_status",
    "billing_started_at", "billing_expires_at", "version", "deleted_at", "created_at", "updated_at")
  SELECT id, account_id, name, labels, spec->>'zone', (spec->>'brokers')::int, (spec->>'bandwidthMBps')::int, (spec->>'diskGiB')::int,
    (spec->>'partitionLimit')::int, (spec->>'topicLimit')::int, (spec->>'consumerGroupLimit')::int, (spec->'billing'->>'mode')::"BillingMode",
    (spec->'billing'->>'periodMonths')::int, (spec->'billing'->>'autoRenew')::boolean, coalesce(spec->'brokerConfig', '{}'::jsonb), generation,
    observed_generation, phase, status_brokers, bootstrap_servers, sasl_bootstrap_servers, conditions, billing_status::"BillingStatus",
    billing_started_at, billing_expires_at, version, deleted_at, created_at, updated_at
  FROM interim.api_instance
  ON CONFLICT DO NOTHING;

  INSERT INTO "topic" ("id", "instance_id", "name", "partitions", "replication_factor", "configs", "labels", "generation",
    "observed_generation", "phase", "version", "deleted_at", "created_at", "updated_at")
  SELECT id, instance_id, name, partitions, replication_factor, configs, labels, generation, observed_generation, phase, version,
    deleted_at, created_at, updated_at FROM interim.api_topic
  ON CONFLICT DO NOTHING;

  INSERT INTO "kafka_user" ("id", "instance_id", "name", "mechanism", "iterations", "salt", "stored_key", "server_key", "salted_password",
    "version", "deleted_at", "created_at", "updated_at")
  SELECT id, instance_id, name, data->>'mechanism', (data->>'iterations')::int, data->>'salt', data->>'storedKey', data->>'serverKey',
    data->>'saltedPassword', version, deleted_at, created_at, updated_at FROM interim.api_instance_object WHERE kind = 'users'
  ON CONFLICT DO NOTHING;

  INSERT INTO "acl" ("id", "instance_id", "name", "resource_type", "resource_name", "pattern_type", "principal", "host", "operation",
    "permission_type", "version", "deleted_at", "created_at", "updated_at")
  SELECT id, instance_id, name, data->>'resourceType', data->>'resourceName', data->>'patternType', data->>'principal', data->>'host',
    data->>'operation', data->>'permissionType', version, deleted_at, created_at, updated_at FROM interim.api_instance_object WHERE kind = 'acls'
  ON CONFLICT DO NOTHING;

  INSERT INTO "client_quota" ("id", "instance_id", "name", "user", "client_id", "producer_byte_rate", "consumer_byte_rate",
    "request_percentage", "version", "deleted_at", "created_at", "updated_at")
  SELECT id, instance_id, name, data->>'user', data->>'clientId', (data->>'producerByteRate')::float8, (data->>'consumerByteRate')::float8,
    (data->>'requestPercentage')::float8, version, deleted_at, created_at, updated_at FROM interim.api_instance_object WHERE kind = 'client-quotas'
  ON CONFLICT DO NOTHING;

  INSERT INTO "consumer_group_quota" ("id", "instance_id", "name", "max_members", "consumer_byte_rate", "version", "deleted_at",
    "created_at", "updated_at")
  SELECT id, instance_id, name, (data->>'maxMembers')::int, (data->>'consumerByteRate')::float8, version, deleted_at, created_at, updated_at
  FROM interim.api_instance_object WHERE kind = 'consumer-group-quotas'
  ON CONFLICT DO NOTHING;

  INSERT INTO "operation" ("id", "account_id", "kind", "target_type", "target_id", "generation", "state", "error", "created_at", "updated_at")
  SELECT id, account_id, kind, target_type, target_id, generation, state::"OperationState", error, created_at, updated_at
  FROM interim.api_operation
  ON CONFLICT DO NOTHING;

  INSERT INTO "audit_event" ("account_id", "key_id", "action", "target_type", "target_id", "generation", "detail", "at")
  SELECT account_id, key_id, action, target_type, target_id, generation, detail, at FROM interim.api_audit_event ORDER BY id;

  INSERT INTO "usage_record" ("instance_id", "meter", "quantity", "period_start", "period_end", "source", "created_at")
  SELECT instance_id, meter, quantity, period_start, period_end, source, created_at FROM interim.api_usage_record ORDER BY id;

  INSERT INTO "invoice" ("id", "account_id", "period_start", "period_end", "status", "currency", "total_micros", "created_at")
  SELECT id, account_id, period_start, period_end, status, currency, total_micros, created_at FROM interim.api_invoice
  ON CONFLICT DO NOTHING;
  INSERT INTO "invoice_line" ("invoice_id", "instance_id", "meter", "quantity", "amount_micros")
  SELECT i.id, l->>'instanceId', l->>'meter', (l->>'quantity')::numeric, (l->>'amountMicros')::bigint
  FROM interim.api_invoice i, jsonb_array_elements(i.lines) AS l;
END $$;
