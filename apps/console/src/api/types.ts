import type { components } from '@tributary/api-client';

type S = components['schemas'];
export type Instance = S['Instance'];
export type InstanceSpec = S['InstanceSpec'];
export type Topic = S['Topic'];
export type PartitionState = S['PartitionState'];
export type Operation = S['Operation'];
export type ConsumerGroup = S['ConsumerGroup'];
export type KafkaUser = S['KafkaUser'];
export type Acl = S['Acl'];
export type ClientQuota = S['ClientQuota'];
export type ConsumerGroupQuota = S['ConsumerGroupQuota'];
export type ApiKey = S['ApiKey'];
export type MessageRecord = S['MessageRecord'];
export type MessagePage = S['MessagePage'];
export type MessageSearchResult = S['MessageSearchResult'];
export type MessageSearch = S['MessageSearch'];
export type MessageSend = S['MessageSend'];
