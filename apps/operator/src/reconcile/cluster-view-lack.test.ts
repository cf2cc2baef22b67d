import { expect, it } from 'vitest';
import { clusterViewLack } from './cluster-view-lack.ts';

const brokers = (...ids: number[]) => ids.map((nodeId) => ({ nodeId }));

it('names what a broker is missing before its cluster counts as whole', () => {
  expect(clusterViewLack({ controllerId: 2, brokers: brokers(1, 2, 3) }, 3)).toBeNull();
  expect(clusterViewLack(null, 3)).toBe('does not answer Metadata');
  expect(clusterViewLack({ controllerId: 1, brokers: brokers(3, 1) }, 3)).toBe('sees brokers [1, 3]');
  expect(clusterViewLack({ controllerId: -1, brokers: brokers(1, 2, 3) }, 3)).toBe('knows no controller');
  expect(clusterViewLack({ controllerId: -1, brokers: brokers(1) }, 3)).toBe('sees brokers [1] and knows no controller');
});
