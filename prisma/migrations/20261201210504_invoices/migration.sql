-- DropIndex
DROP INDEX "invoice_account_id_period_start_key";

-- AlterTable
ALTER TABLE "invoice" ADD COLUMN     "basis" JSONB,
ADD COLUMN     "finalised_at" TIMESTAMPTZ(3),
ADD COLUMN     "instance_id" TEXT,
ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'monthly',
ADD COLUMN     "source_key" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "total_minor" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "usage_cutoff" TIMESTAMPTZ(3),
ADD COLUMN     "usage_from" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "invoice_line" ADD COLUMN     "amount_minor" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "code" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "period_end" TIMESTAMPTZ(3),
ADD COLUMN     "period_start" TIMESTAMPTZ(3),
ADD COLUMN     "position" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "price_book_id" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "tier" INTEGER,
ADD COLUMN     "unit" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "unit_price_micros" BIGINT NOT NULL DEFAULT 0;

-- Hand-written, before the unique index it makes possible: invoices from before (none were ever written, but a database may hold some) get a
-- unique key of their own, then the column keeps no default, as schema.prisma says.
UPDATE "invoice" SET "source_key" = 'legacy:' || "id";
ALTER TABLE "invoice" ALTER COLUMN "source_key" DROP DEFAULT;

-- CreateIndex
CREATE UNIQUE INDEX "invoice_account_id_source_key_key" ON "invoice"("account_id", "source_key");
