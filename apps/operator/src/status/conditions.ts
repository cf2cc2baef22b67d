/** Kubernetes-style status conditions, kept by pure functions so that reconcilers stay testable. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** Sets a condition; lastTransitionTime moves only when the status changes. */
export function setCondition(conditions: Condition[], next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const current = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = current && current.status === next.status ? current.lastTransitionTime : now.toISOString();
  return [...conditions.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }].sort((a, b) => a.type.localeCompare(b.type));
}

export function conditionStatus(conditions: Condition[], type: string): Condition['status'] {
  return conditions.find((c) => c.type === type)?.status ?? 'Unknown';
}
