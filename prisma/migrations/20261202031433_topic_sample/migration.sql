-- CreateTable
CREATE TABLE "topic_sample" (
    "instance_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "end_offsets" BIGINT NOT NULL,
    "size_bytes" BIGINT NOT NULL,

    CONSTRAINT "topic_sample_pkey" PRIMARY KEY ("instance_id","topic","at")
);

-- CreateIndex
CREATE INDEX "topic_sample_at_idx" ON "topic_sample"("at");
