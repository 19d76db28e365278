/** deploy/prometheus/api.ts: Prometheus answers are validated; errors and odd shapes are not silently empty. */
import { describe, expect, it } from 'vitest';
import { parseSampleValue, querySamples, unwrap } from '../../../deploy/prometheus/api.ts';

describe('unwrap', () => {
  it('returns data of a success', () => {
    expect(unwrap('q', 200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }))).toEqual({ resultType: 'vector', result: [] });
  });
  it("turns an error answer into an error with Prometheus' reason", () => {
    const body = JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected <EOF>' });
    expect(() => unwrap('query up{', 400, body)).toThrow(/query up\{ failed: bad_data: 1:5: parse error/);
  });
  it.each([
    ['HTML', '<html>proxy error</html>', /not JSON/],
    ['an empty body', '', /not JSON/],
    ['JSON without status', '{"data":1}', /not an API answer/],
    ['an unknown status', '{"status":"maybe"}', /not an API answer/],
  ])('refuses %s', (_what, body, message) => {
    expect(() => unwrap('q', 502, body)).toThrow(message);
  });
});

describe('querySamples', () => {
  it('reads a vector with labels and values, special floats included', () => {
    const data = {
      resultType: 'vector',
      result: [
        { metric: { job: 'vigil-api' }, value: [1, '3.5'] },
        { metric: {}, value: [1, '+Inf'] },
        { metric: {}, value: [1, 'NaN'] },
      ],
    };
    const samples = querySamples(data);
    expect(samples.map((s) => s.labels)).toEqual([{ job: 'vigil-api' }, {}, {}]);
    expect(samples[0].value).toBe(3.5);
    expect(samples[1].value).toBe(Infinity);
    expect(samples[2].value).toBeNaN();
  });
  it('reads a scalar as one sample', () => {
    expect(querySamples({ resultType: 'scalar', result: [1, '42'] })).toEqual([{ labels: {}, value: 42 }]);
  });
  it('refuses a range vector and malformed samples', () => {
    expect(() => querySamples({ resultType: 'matrix', result: [] })).toThrow(/instant vector/);
    expect(() => querySamples({ resultType: 'vector', result: [{ metric: {}, value: ['x', '1'] }] })).toThrow(/unexpected answer shape/);
    expect(() => querySamples({ resultType: 'vector', result: [{ metric: {}, value: [1, 'twelve'] }] })).toThrow(/not a number/);
    expect(() => querySamples(null)).toThrow(/unexpected answer shape/);
  });
  it('parses sample values strictly', () => {
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(parseSampleValue('1e3')).toBe(1000);
    expect(() => parseSampleValue(' ')).toThrow(/not a number/);
  });
});
