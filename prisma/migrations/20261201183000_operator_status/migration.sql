-- CreateTable
CREATE TABLE "instance_status" (
    "instance_id" TEXT NOT NULL,
    "observed_generation" INTEGER NOT NULL DEFAULT 0,
    "phase" TEXT NOT NULL,
    "ready_brokers" INTEGER NOT NULL DEFAULT 0,
    "internal_bootstrap_servers" TEXT,
    "client_bootstrap_servers" TEXT,
    "conditions" JSONB NOT NULL DEFAULT '[]',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instance_status_pkey" PRIMARY KEY ("instance_id")
);

-- CreateTable
CREATE TABLE "topic_status" (
    "topic_id" TEXT NOT NULL,
    "observed_generation" INTEGER NOT NULL DEFAULT 0,
    "phase" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "topic_status_pkey" PRIMARY KEY ("topic_id")
);

-- CreateTable
CREATE TABLE "operation_outcome" (
    "operation_id" TEXT NOT NULL,
    "state" "OperationState" NOT NULL,
    "error" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operation_outcome_pkey" PRIMARY KEY ("operation_id")
);

-- AddForeignKey
ALTER TABLE "instance_status" ADD CONSTRAINT "instance_status_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic_status" ADD CONSTRAINT "topic_status_topic_id_fkey" FOREIGN KEY ("topic_id") REFERENCES "topic"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operation_outcome" ADD CONSTRAINT "operation_outcome_operation_id_fkey" FOREIGN KEY ("operation_id") REFERENCES "operation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written from here on.
-- The status the operator wrote into the API's rows moves into its own tables (issue 14: one writer
-- per table; the next migration drops the old columns). An instance gets a status row once the
-- operator has reported on it (anything beyond the API's initial Creating with nothing observed).
-- (bootstrap_servers has been the internal listener and sasl_bootstrap_servers the client endpoint
-- since issue 14's SASL-only endpoints; the new columns say so.)
INSERT INTO "instance_status" ("instance_id", "observed_generation", "phase", "ready_brokers", "internal_bootstrap_servers", "client_bootstrap_servers", "conditions", "updated_at")
SELECT "id", "observed_generation", "phase", "status_brokers", "bootstrap_servers", "sasl_bootstrap_servers", "conditions", "updated_at"
FROM "instance"
WHERE "observed_generation" > 0 OR "phase" IN ('Running', 'Failed') OR "bootstrap_servers" IS NOT NULL OR "conditions" <> '[]'::jsonb;

-- The operator wrote only Ready (with the generation applied) into a topic's row; the API wrote
-- Creating/Updating/Deleting beside it on every change, so a topic still Ready had its current
-- generation applied.
INSERT INTO "topic_status" ("topic_id", "observed_generation", "phase", "updated_at")
SELECT "id", CASE WHEN "phase" = 'Ready' THEN GREATEST("observed_generation", "generation") ELSE "observed_generation" END, 'Ready', "updated_at"
FROM "topic"
WHERE "observed_generation" > 0 OR "phase" = 'Ready';

-- Operations the operator settled (every one not Pending, except the API's own live writes on
-- consumer groups) keep their outcome in the operator's table; the API's row goes back to what the
-- API wrote, Pending: handed to the operator.
INSERT INTO "operation_outcome" ("operation_id", "state", "error", "updated_at")
SELECT "id", "state", "error", "updated_at" FROM "operation"
WHERE "state" <> 'Pending' AND "target_type" <> 'consumer-group';
UPDATE "operation" SET "state" = 'Pending', "error" = NULL
WHERE "state" <> 'Pending' AND "target_type" <> 'consumer-group';

-- The API's instance cache (libs/db src/instance-cache.ts) drops an instance when its status row
-- changes too: the same channel, the row's instance id (migration 20261123112500 for the instance rows).
CREATE FUNCTION "tributary_notify_instance_status_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('tributary_instance_changed', OLD.instance_id);
  ELSE
    PERFORM pg_notify('tributary_instance_changed', NEW.instance_id);
    IF TG_OP = 'UPDATE' AND OLD.instance_id IS DISTINCT FROM NEW.instance_id THEN
      PERFORM pg_notify('tributary_instance_changed', OLD.instance_id);
    END IF;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "instance_status_changed_notify"
  AFTER INSERT OR UPDATE OR DELETE ON "instance_status"
  FOR EACH ROW EXECUTE FUNCTION "tributary_notify_instance_status_changed"();

CREATE TRIGGER "instance_status_truncated_notify"
  AFTER TRUNCATE ON "instance_status"
  FOR EACH STATEMENT EXECUTE FUNCTION "tributary_notify_instance_truncated"();
