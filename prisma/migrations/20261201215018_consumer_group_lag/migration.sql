-- CreateTable
CREATE TABLE "consumer_group_lag" (
    "instance_id" TEXT NOT NULL,
    "group" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "lag" BIGINT NOT NULL,

    CONSTRAINT "consumer_group_lag_pkey" PRIMARY KEY ("instance_id","group","topic","at")
);

-- CreateIndex
CREATE INDEX "consumer_group_lag_at_idx" ON "consumer_group_lag"("at");
