-- AlterTable
ALTER TABLE "rate" ADD COLUMN     "included_units" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "rate_tier" (
    "rate_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "up_to" BIGINT,
    "price_micros" BIGINT NOT NULL,

    CONSTRAINT "rate_tier_pkey" PRIMARY KEY ("rate_id","position")
);

-- AddForeignKey
ALTER TABLE "rate_tier" ADD CONSTRAINT "rate_tier_rate_id_fkey" FOREIGN KEY ("rate_id") REFERENCES "rate"("id") ON DELETE CASCADE ON UPDATE CASCADE;
