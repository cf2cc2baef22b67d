-- AlterTable
ALTER TABLE "acl" ADD COLUMN     "labels" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "client_quota" ADD COLUMN     "labels" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "consumer_group_quota" ADD COLUMN     "labels" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "kafka_user" ADD COLUMN     "labels" JSONB NOT NULL DEFAULT '{}';
