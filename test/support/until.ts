// The condition poll lives in @tributary/testkit so app tests (which may not import test/) share it.
export { until } from '@tributary/testkit';
