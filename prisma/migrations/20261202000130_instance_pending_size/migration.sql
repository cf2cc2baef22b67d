-- AlterTable
ALTER TABLE "instance" ADD COLUMN     "pending_effective_at" TIMESTAMPTZ(3),
ADD COLUMN     "pending_requested_at" TIMESTAMPTZ(3),
ADD COLUMN     "pending_size" JSONB;
