-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('admin', 'operator', 'viewer', 'billing');

-- CreateEnum
CREATE TYPE "BillingMode" AS ENUM ('postpaid', 'prepaid');

-- CreateEnum
CREATE TYPE "BillingStatus" AS ENUM ('active', 'overdue', 'suspended');

-- CreateEnum
CREATE TYPE "OperationState" AS ENUM ('Pending', 'Running', 'Succeeded', 'Failed');

-- CreateTable
CREATE TABLE "account" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "zone" TEXT NOT NULL,
    "brokers" INTEGER NOT NULL,
    "bandwidth_mbps" INTEGER NOT NULL,
    "disk_gib" INTEGER NOT NULL,
    "partition_limit" INTEGER NOT NULL,
    "topic_limit" INTEGER NOT NULL,
    "consumer_group_limit" INTEGER NOT NULL,
    "billing_mode" "BillingMode" NOT NULL,
    "billing_period_months" INTEGER,
    "billing_auto_renew" BOOLEAN,
    "broker_config" JSONB NOT NULL DEFAULT '{}',
    "generation" INTEGER NOT NULL DEFAULT 1,
    "observed_generation" INTEGER NOT NULL DEFAULT 0,
    "phase" TEXT NOT NULL,
    "status_brokers" INTEGER NOT NULL DEFAULT 0,
    "bootstrap_servers" TEXT,
    "sasl_bootstrap_servers" TEXT,
    "conditions" JSONB NOT NULL DEFAULT '[]',
    "billing_status" "BillingStatus" NOT NULL DEFAULT 'active',
    "billing_started_at" TIMESTAMPTZ(3) NOT NULL,
    "billing_expires_at" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "topic" (
    "id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "partitions" INTEGER NOT NULL,
    "replication_factor" INTEGER NOT NULL,
    "configs" JSONB NOT NULL DEFAULT '{}',
    "labels" JSONB NOT NULL DEFAULT '{}',
    "generation" INTEGER NOT NULL DEFAULT 1,
    "observed_generation" INTEGER NOT NULL DEFAULT 0,
    "phase" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "topic_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "kafka_user" (
    "id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "mechanism" TEXT NOT NULL,
    "iterations" INTEGER NOT NULL,
    "salt" TEXT NOT NULL,
    "stored_key" TEXT NOT NULL,
    "server_key" TEXT NOT NULL,
    "salted_password" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "kafka_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "acl" (
    "id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "resource_name" TEXT NOT NULL,
    "pattern_type" TEXT NOT NULL,
    "principal" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "permission_type" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "acl_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "client_quota" (
    "id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "user" TEXT,
    "client_id" TEXT,
    "producer_byte_rate" DOUBLE PRECISION,
    "consumer_byte_rate" DOUBLE PRECISION,
    "request_percentage" DOUBLE PRECISION,
    "version" INTEGER NOT NULL DEFAULT 1,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "client_quota_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consumer_group_quota" (
    "id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "max_members" INTEGER,
    "consumer_byte_rate" DOUBLE PRECISION,
    "version" INTEGER NOT NULL DEFAULT 1,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_group_quota_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operation" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "state" "OperationState" NOT NULL,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "account_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "price_book" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "price_book_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rate" (
    "id" TEXT NOT NULL,
    "price_book_id" TEXT NOT NULL,
    "meter" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "price_micros" BIGINT NOT NULL,

    CONSTRAINT "rate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_record" (
    "id" BIGSERIAL NOT NULL,
    "instance_id" TEXT NOT NULL,
    "meter" TEXT NOT NULL,
    "quantity" DECIMAL(20,6) NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3),
    "source" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_record_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "total_micros" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_line" (
    "id" BIGSERIAL NOT NULL,
    "invoice_id" TEXT NOT NULL,
    "instance_id" TEXT,
    "meter" TEXT NOT NULL,
    "quantity" DECIMAL(20,6) NOT NULL,
    "amount_micros" BIGINT NOT NULL,

    CONSTRAINT "invoice_line_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_record" (
    "key_id" TEXT NOT NULL,
    "idem_key" TEXT NOT NULL,
    "body_hash" TEXT NOT NULL,
    "status" INTEGER,
    "response" JSONB,
    "headers" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_record_pkey" PRIMARY KEY ("key_id","idem_key")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_key_hash_key" ON "api_key"("hash");

-- CreateIndex
CREATE INDEX "api_key_account_id_created_at_idx" ON "api_key"("account_id", "created_at");

-- CreateIndex
CREATE INDEX "instance_account_id_created_at_idx" ON "instance"("account_id", "created_at");

-- CreateIndex
CREATE INDEX "topic_instance_id_created_at_idx" ON "topic"("instance_id", "created_at");

-- CreateIndex
CREATE INDEX "kafka_user_instance_id_created_at_idx" ON "kafka_user"("instance_id", "created_at");

-- CreateIndex
CREATE INDEX "acl_instance_id_created_at_idx" ON "acl"("instance_id", "created_at");

-- CreateIndex
CREATE INDEX "client_quota_instance_id_created_at_idx" ON "client_quota"("instance_id", "created_at");

-- CreateIndex
CREATE INDEX "consumer_group_quota_instance_id_created_at_idx" ON "consumer_group_quota"("instance_id", "created_at");

-- CreateIndex
CREATE INDEX "operation_target_id_state_idx" ON "operation"("target_id", "state");

-- CreateIndex
CREATE INDEX "audit_event_target_id_at_idx" ON "audit_event"("target_id", "at");

-- CreateIndex
CREATE UNIQUE INDEX "price_book_name_key" ON "price_book"("name");

-- CreateIndex
CREATE UNIQUE INDEX "rate_price_book_id_meter_key" ON "rate"("price_book_id", "meter");

-- CreateIndex
CREATE INDEX "usage_record_instance_id_period_start_idx" ON "usage_record"("instance_id", "period_start");

-- CreateIndex
CREATE INDEX "invoice_account_id_created_at_idx" ON "invoice"("account_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_account_id_period_start_key" ON "invoice"("account_id", "period_start");

-- CreateIndex
CREATE INDEX "invoice_line_invoice_id_idx" ON "invoice_line"("invoice_id");

-- CreateIndex
CREATE INDEX "idempotency_record_created_at_idx" ON "idempotency_record"("created_at");

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance" ADD CONSTRAINT "instance_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "topic" ADD CONSTRAINT "topic_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "kafka_user" ADD CONSTRAINT "kafka_user_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "acl" ADD CONSTRAINT "acl_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "client_quota" ADD CONSTRAINT "client_quota_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consumer_group_quota" ADD CONSTRAINT "consumer_group_quota_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operation" ADD CONSTRAINT "operation_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate" ADD CONSTRAINT "rate_price_book_id_fkey" FOREIGN KEY ("price_book_id") REFERENCES "price_book"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_record" ADD CONSTRAINT "usage_record_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice" ADD CONSTRAINT "invoice_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_line" ADD CONSTRAINT "invoice_line_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_line" ADD CONSTRAINT "invoice_line_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written (Prisma 6 cannot model partial indexes; listed in libs/db/src/partial-indexes.ts):
-- names are unique among live rows only, so a deleted resource's name can be used again at once.
CREATE UNIQUE INDEX "instance_live_name" ON "instance"("account_id", "name") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX "topic_live_name" ON "topic"("instance_id", "name") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX "kafka_user_live_name" ON "kafka_user"("instance_id", "name") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX "acl_live_name" ON "acl"("instance_id", "name") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX "client_quota_live_name" ON "client_quota"("instance_id", "name") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX "consumer_group_quota_live_name" ON "consumer_group_quota"("instance_id", "name") WHERE "deleted_at" IS NULL;
