import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeError, toKubeError } from './errors.ts';

const status = (code: number, reason: string, message = 'm') => new ApiException(code, 'HTTP', JSON.stringify({ kind: 'Status', code, reason, message }), {});

describe('toKubeError', () => {
  it.each([
    [400, 'BadRequest', 'BadRequest'],
    [401, 'Unauthorized', 'Unauthorized'],
    [403, 'Forbidden', 'Forbidden'],
    [404, 'NotFound', 'NotFound'],
    [409, 'AlreadyExists', 'AlreadyExists'],
    [409, 'Conflict', 'Conflict'],
    [422, 'Invalid', 'Invalid'],
    [429, 'TooManyRequests', 'Unavailable'],
    [503, 'ServiceUnavailable', 'Unavailable'],
    [418, 'Teapot', 'Unknown'],
  ])('HTTP %i %s → %s, keeping the server message and reason', (code, reason, expected) => {
    const e = toKubeError(status(code, reason, `msg ${code}`));
    expect(e).toBeInstanceOf(KubeError);
    expect(e.code).toBe(expected);
    expect(e.status).toBe(code);
    expect(e.reason).toBe(reason);
    expect(e.message).toBe(`msg ${code}`);
  });

  it('accepts an already parsed body and a non-JSON body', () => {
    expect(toKubeError(new ApiException(409, 'x', { reason: 'Conflict', message: 'stale' }, {}))).toMatchObject({ code: 'Conflict', message: 'stale' });
    expect(toKubeError(new ApiException(500, 'x', '<html>oops</html>', {}))).toMatchObject({ code: 'Unavailable', message: '<html>oops</html>' });
  });

  it('network failures are Unavailable without a status; KubeErrors pass through', () => {
    expect(toKubeError(new TypeError('fetch failed'))).toMatchObject({ code: 'Unavailable', status: null, message: 'fetch failed' });
    const k = new KubeError('NotFound', 404, 'gone');
    expect(toKubeError(k)).toBe(k);
  });
});
