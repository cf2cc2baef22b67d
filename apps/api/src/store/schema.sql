-- Interim tables of the API until prisma/schema.prisma lands (see apps/api/README.md).
-- Names and columns follow the issue's data model so the move to Prisma is a mapping, not a redesign.
CREATE TABLE IF NOT EXISTS api_account (
  id text PRIMARY KEY, name text NOT NULL, email text, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS api_key (
  id text PRIMARY KEY, account_id text NOT NULL REFERENCES api_account(id), name text NOT NULL, role text NOT NULL,
  prefix text NOT NULL, hash text NOT NULL UNIQUE, revoked_at timestamptz, last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS api_instance (
  id text PRIMARY KEY, account_id text NOT NULL REFERENCES api_account(id), name text NOT NULL, labels jsonb NOT NULL,
  spec jsonb NOT NULL, generation int NOT NULL, observed_generation int NOT NULL DEFAULT 0, phase text NOT NULL,
  status_brokers int NOT NULL DEFAULT 0, bootstrap_servers text, conditions jsonb NOT NULL DEFAULT '[]',
  billing_status text NOT NULL DEFAULT 'active', billing_started_at timestamptz NOT NULL, billing_expires_at timestamptz,
  version int NOT NULL DEFAULT 1, deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS api_instance_name ON api_instance (account_id, name) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS api_topic (
  id text PRIMARY KEY, instance_id text NOT NULL REFERENCES api_instance(id), name text NOT NULL, partitions int NOT NULL,
  replication_factor int NOT NULL, configs jsonb NOT NULL, labels jsonb NOT NULL, generation int NOT NULL,
  observed_generation int NOT NULL DEFAULT 0, phase text NOT NULL, version int NOT NULL DEFAULT 1, deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS api_topic_name ON api_topic (instance_id, name) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS api_operation (
  id text PRIMARY KEY, account_id text NOT NULL, kind text NOT NULL, target_type text NOT NULL, target_id text NOT NULL,
  generation int NOT NULL, state text NOT NULL, error text, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS api_audit_event (
  id bigserial PRIMARY KEY, account_id text NOT NULL, key_id text NOT NULL, action text NOT NULL, target_type text NOT NULL,
  target_id text NOT NULL, generation int NOT NULL, detail jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS api_usage_record (
  id bigserial PRIMARY KEY, instance_id text NOT NULL, meter text NOT NULL, quantity numeric NOT NULL,
  period_start timestamptz NOT NULL, period_end timestamptz, source text NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS api_idempotency (
  key_id text NOT NULL, idem_key text NOT NULL, body_hash text NOT NULL, status int, response jsonb, headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (key_id, idem_key)
);
-- Users, ACLs, client quotas and consumer-group quotas: per-instance objects keyed by a natural name.
CREATE TABLE IF NOT EXISTS api_instance_object (
  id text PRIMARY KEY, instance_id text NOT NULL REFERENCES api_instance(id), kind text NOT NULL, name text NOT NULL,
  data jsonb NOT NULL, version int NOT NULL DEFAULT 1, deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS api_instance_object_name ON api_instance_object (instance_id, kind, name) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS api_invoice (
  id text PRIMARY KEY, account_id text NOT NULL REFERENCES api_account(id), period_start timestamptz NOT NULL, period_end timestamptz NOT NULL,
  status text NOT NULL, currency text NOT NULL, total_micros bigint NOT NULL, lines jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
);
-- Added after the first release of this interim schema: existing databases get the column too.
ALTER TABLE api_instance ADD COLUMN IF NOT EXISTS sasl_bootstrap_servers text;
