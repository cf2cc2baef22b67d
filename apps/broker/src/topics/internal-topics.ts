/** Committed offsets of consumer groups; its leader is the group coordinator. */
export const OFFSETS_TOPIC = '__consumer_offsets';
