/** What keeps a broker's Metadata answer from showing a whole cluster, or null when it does. */
export function clusterViewLack(view: { controllerId: number; brokers: { nodeId: number }[] } | null, expected: number): string | null {
  if (!view) return 'does not answer Metadata';
  const gaps: string[] = [];
  if (view.brokers.length !== expected) gaps.push(`sees brokers [${view.brokers.map((b) => b.nodeId).sort((a, b) => a - b).join(', ')}]`);
  if (view.controllerId < 0) gaps.push('knows no controller');
  return gaps.length > 0 ? gaps.join(' and ') : null;
}
