/**
 * Persistence of the control plane: the Prisma client (over node-postgres), the migrations runner
 * that applies prisma/migrations on start-up, and the mappings both the API and the operator use.
 */
export { createDb, createPool, isUniqueViolation, type Db } from './client.ts';
export { FastReads, type InstanceWithStatus } from './fast-reads.ts';
export { ChangeListener, type ChangeListenerOptions } from './change-listener.ts';
export { InstanceCache, INSTANCE_CHANGED_CHANNEL, type InstanceCacheOptions, type InstanceCacheStats } from './instance-cache.ts';
export { migrate, waitForMigrations, readMigrations, MigrationError, MIGRATIONS_DIR, type Migration } from './migrate.ts';
export { PARTIAL_UNIQUE_INDEXES } from './partial-indexes.ts';
export { OPERATOR_TABLES, grantsFor, tableOwner, type TableOwner } from './ownership.ts';
export { applyOwnershipGrants, ensureRoles, roleOf, type DbRole } from './roles.ts';
export { specColumns, specOf } from './instance-spec.ts';
export { SecretBox, SEALED_COLUMNS } from './secret-box.ts';
export { Prisma } from '@prisma/client';
export type {
  Account, Acl, ApiKey, AuditEvent, ClientQuota, ConsumerGroupQuota, IdempotencyRecord, Instance, InstanceStatus, Invoice, InvoiceLine,
  KafkaUser, Operation, OperationOutcome, PriceBook, Rate, Topic, TopicStatus, UsageRecord,
} from '@prisma/client';
