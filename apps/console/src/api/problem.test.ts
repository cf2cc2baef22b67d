import { describe, expect, it } from 'vitest';
import { ProblemError, fieldErrors, formLevelMessage, toProblem, unwrap } from './problem.ts';

const problem = {
  type: 'https://tributary.dev/problems/validation-failed', title: 'Validation failed', status: 422, detail: 'request validation failed',
  code: 'validation-failed' as const,
  errors: [
    { in: 'body' as const, path: '/spec/brokers', message: 'too big' },
    { in: 'body' as const, path: '/name', message: 'lowercase only' },
    { in: 'body' as const, path: '/configs/retention.ms', message: 'an integer' },
    { in: 'body' as const, path: '/labels/a~1b', message: 'bad label' },
    { in: 'query' as const, path: '/cursor', message: 'bad cursor' },
  ],
};

describe('problem+json in the console', () => {
  it('unwrap returns data on success and throws the API problem on failure', () => {
    expect(unwrap({ data: { a: 1 }, response: new Response(null, { status: 200 }) })).toEqual({ a: 1 });
    const thrown = (() => { try { unwrap({ error: problem, response: new Response(null, { status: 422 }) }); } catch (e) { return e; } })();
    expect(thrown).toBeInstanceOf(ProblemError);
    expect((thrown as ProblemError).code).toBe('validation-failed');
    expect((thrown as ProblemError).message).toBe('request validation failed');
  });

  it('a body that is not a problem becomes one naming the status', () => {
    expect(toProblem('<html>bad gateway</html>', 502)).toMatchObject({ status: 502, code: 'internal', detail: '<html>bad gateway</html>' });
    expect(toProblem(undefined, 404)).toMatchObject({ status: 404, detail: 'the API answered HTTP 404' });
  });

  it('maps body field paths under a prefix to the form fields, unescaping JSON Pointers', () => {
    const err = new ProblemError(problem);
    expect(fieldErrors(err, '/spec')).toEqual({ brokers: 'too big' });
    expect(fieldErrors(err)).toEqual({ 'spec/brokers': 'too big', name: 'lowercase only', 'configs/retention.ms': 'an integer', 'labels/a/b': 'bad label' });
    expect(fieldErrors(new Error('network'))).toEqual({});
  });

  it('the form-level message keeps every message no field shows', () => {
    const err = new ProblemError(problem);
    const msg = formLevelMessage(err, ['spec/brokers', 'name', 'configs/retention.ms'])!;
    expect(msg).toContain('request validation failed');
    expect(msg).toContain('labels/a/b: bad label');
    expect(msg).toContain('/cursor: bad cursor');
    expect(msg).not.toContain('too big');
    expect(formLevelMessage(null, [])).toBeNull();
    expect(formLevelMessage(new Error('offline'), [])).toBe('offline');
  });
});
