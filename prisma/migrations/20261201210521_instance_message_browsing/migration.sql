-- AlterTable
ALTER TABLE "instance" ADD COLUMN     "message_browsing" BOOLEAN NOT NULL DEFAULT true;

-- The switch used to be the label tributary.dev/message-browsing=disabled: instances that set it keep
-- browsing off, and the label, now meaningless, is dropped.
UPDATE "instance" SET "message_browsing" = false, "labels" = "labels" - 'tributary.dev/message-browsing'
WHERE "labels"->>'tributary.dev/message-browsing' = 'disabled';
