-- CreateTable
CREATE TABLE "meter_sample" (
    "instance_id" TEXT NOT NULL,
    "node_id" INTEGER NOT NULL,
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "epoch" BIGINT NOT NULL,
    "counters" JSONB NOT NULL,
    "replicas" INTEGER NOT NULL,
    "log_bytes" BIGINT NOT NULL,
    "collected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "meter_sample_pkey" PRIMARY KEY ("instance_id","node_id","minute")
);

-- CreateTable
CREATE TABLE "usage_hour" (
    "instance_id" TEXT NOT NULL,
    "dimension" TEXT NOT NULL,
    "hour_start" TIMESTAMPTZ(3) NOT NULL,
    "source" TEXT NOT NULL,
    "quantity" DECIMAL(38,0) NOT NULL,
    "samples" INTEGER NOT NULL,
    "closed" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_hour_pkey" PRIMARY KEY ("instance_id","dimension","hour_start","source")
);

-- CreateTable
CREATE TABLE "usage_adjustment" (
    "instance_id" TEXT NOT NULL,
    "dimension" TEXT NOT NULL,
    "hour_start" TIMESTAMPTZ(3) NOT NULL,
    "source" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "quantity" DECIMAL(38,0) NOT NULL,
    "invoice_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_adjustment_pkey" PRIMARY KEY ("instance_id","dimension","hour_start","source","seq")
);

-- CreateTable
CREATE TABLE "chargeback_hour" (
    "instance_id" TEXT NOT NULL,
    "hour_start" TIMESTAMPTZ(3) NOT NULL,
    "direction" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "principal" TEXT NOT NULL,
    "listener" TEXT NOT NULL,
    "bytes" DECIMAL(38,0) NOT NULL,

    CONSTRAINT "chargeback_hour_pkey" PRIMARY KEY ("instance_id","hour_start","direction","topic","principal","listener")
);

-- CreateIndex
CREATE INDEX "meter_sample_minute_idx" ON "meter_sample"("minute");

-- CreateIndex
CREATE INDEX "usage_hour_hour_start_idx" ON "usage_hour"("hour_start");
