-- AlterTable
ALTER TABLE "instance_status" ADD COLUMN     "rebalance_hold" JSONB;
