import { z } from 'zod';
import {
  AclCreateSchema, InstanceSpecSchema, LabelsSchema, ResourceNameSchema, TopicConfigsSchema, TopicNameSchema,
} from '@tributary/contracts';

/** The version of the spec-file format; a file names it so the format can evolve. */
export const SPEC_API_VERSION = 'tributary.dev/v1';

/**
 * A password is a reference, never a value: an environment variable or a file read at apply time.
 * An inline string is refused with a message saying so (the file would put a secret in Git).
 */
export const SecretRefSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }),
  z.strictObject({ file: z.string().min(1) }),
], { error: (issue) => (typeof issue.input === 'string' ? 'passwords are references, never inline: use {env: VAR} or {file: path}' : 'expected {env: VAR} or {file: path}') })
  .meta({ description: 'where the password is read at apply time: {env: VAR} or {file: path} (relative to the spec file)' });
export type SecretRef = z.infer<typeof SecretRefSchema>;

export const TopicSpecSchema = z.strictObject({
  name: TopicNameSchema,
  partitions: z.number().int().min(1).max(10_000),
  replicationFactor: z.number().int().min(1).max(15),
  configs: TopicConfigsSchema.optional().meta({ description: 'only the keys set here are managed; a key removed from the file returns to its default' }),
  labels: z.record(z.string(), z.string().max(63)).optional(),
});

export const UserSpecSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[a-zA-Z0-9._-]+$/),
  password: SecretRefSchema,
  mechanism: z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512']).default('SCRAM-SHA-512'),
  iterations: z.number().int().min(4096).max(65536).default(8192),
  labels: LabelsSchema.optional().meta({ description: 'when present the file owns these labels; when absent they are left alone' }),
});

/** The API's ACL body, `labels` included (as for users: owned when present, left alone when absent). */
export const AclSpecSchema = AclCreateSchema;

export const ClientQuotaSpecSchema = z.strictObject({
  user: z.string().min(1).max(64).optional(),
  clientId: z.string().min(1).max(255).optional(),
  producerByteRate: z.number().int().min(1024).optional(),
  consumerByteRate: z.number().int().min(1024).optional(),
  requestPercentage: z.number().min(1).max(10_000).optional(),
  labels: LabelsSchema.optional(),
}).superRefine((q, ctx) => {
  if (q.user === undefined && q.clientId === undefined) ctx.addIssue({ code: 'custom', path: ['user'], message: 'name a user, a clientId or both' });
  if (q.producerByteRate === undefined && q.consumerByteRate === undefined && q.requestPercentage === undefined) {
    ctx.addIssue({ code: 'custom', path: ['producerByteRate'], message: 'set at least one of producerByteRate, consumerByteRate, requestPercentage' });
  }
});

export const GroupQuotaSpecSchema = z.strictObject({
  group: z.string().min(1).max(249),
  maxMembers: z.number().int().min(1).max(10_000).optional(),
  consumerByteRate: z.number().int().min(1024).optional(),
  labels: LabelsSchema.optional(),
});

export const InstanceDeclSchema = z.strictObject({
  name: ResourceNameSchema,
  labels: LabelsSchema.optional(),
  spec: InstanceSpecSchema,
  topics: z.array(TopicSpecSchema).default([]),
  users: z.array(UserSpecSchema).default([]),
  acls: z.array(AclSpecSchema).default([]),
  clientQuotas: z.array(ClientQuotaSpecSchema).default([]),
  consumerGroupQuotas: z.array(GroupQuotaSpecSchema).default([]),
});

/** One spec file: a stack (the ownership label) and the instances it declares. */
export const SpecFileSchema = z.strictObject({
  apiVersion: z.literal(SPEC_API_VERSION),
  stack: z.string().regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits, ".", "_" and "-" (a label value)'),
  instances: z.array(InstanceDeclSchema).default([]),
}).meta({ id: 'TributarySpec', title: 'Tributary spec file', description: 'Instances with their topics, users, ACLs and quotas, applied by `tributary apply -f DIR`.' });

export type SpecFile = z.infer<typeof SpecFileSchema>;
export type InstanceDecl = z.infer<typeof InstanceDeclSchema>;
export type TopicDecl = z.infer<typeof TopicSpecSchema>;
export type UserDecl = z.infer<typeof UserSpecSchema>;
export type AclDecl = z.infer<typeof AclSpecSchema>;
export type ClientQuotaDecl = z.infer<typeof ClientQuotaSpecSchema>;
export type GroupQuotaDecl = z.infer<typeof GroupQuotaSpecSchema>;

/** The JSON Schema published for editors (libs/spec/schema/tributary-spec.schema.json). */
export function specJsonSchema(): Record<string, unknown> {
  return { $id: 'https://tributary.dev/schemas/spec-v1.json', ...z.toJSONSchema(SpecFileSchema, { io: 'input', unrepresentable: 'any' }) } as Record<string, unknown>;
}
