-- AlterTable
ALTER TABLE "instance_status" ADD COLUMN     "client_security_protocol" TEXT;
