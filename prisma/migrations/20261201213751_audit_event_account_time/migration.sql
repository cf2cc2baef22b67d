-- CreateIndex
CREATE INDEX "audit_event_account_id_at_id_idx" ON "audit_event"("account_id", "at", "id");
