-- AlterTable
ALTER TABLE "instance_status" ADD COLUMN     "rebalance" JSONB;

-- AlterTable
ALTER TABLE "operation_outcome" ADD COLUMN     "progress" JSONB;
