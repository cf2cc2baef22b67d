-- AlterTable
ALTER TABLE "instance" DROP COLUMN "bootstrap_servers",
DROP COLUMN "conditions",
DROP COLUMN "observed_generation",
DROP COLUMN "phase",
DROP COLUMN "sasl_bootstrap_servers",
DROP COLUMN "status_brokers";

-- AlterTable
ALTER TABLE "topic" DROP COLUMN "observed_generation",
DROP COLUMN "phase";
