import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayHealth, gatewayCheck } from '../../../api/gateway-health.ts';
import { freePort } from '../../../core/free-port.ts';

describe('gateway check for /api/v1/health', () => {
  it('classifies the gateway\'s answers', () => {
    expect(gatewayCheck({ ok: true, httpStatus: 200, body: { status: 'ok', gatewayId: 'g1' } }, 'h:1')).toEqual({ status: 'ok', details: { httpStatus: 200, gatewayId: 'g1' } });
    expect(gatewayCheck({ ok: true, httpStatus: 503, body: { status: 'degraded' } }, 'h:1')).toMatchObject({ status: 'warn', message: expect.stringMatching(/degraded/) });
    expect(gatewayCheck({ ok: true, httpStatus: 404, body: 'nope' }, 'h:1')).toMatchObject({ status: 'fail', message: 'gateway at h:1 answered HTTP 404' });
    expect(gatewayCheck({ ok: true, httpStatus: 200, body: { status: 'x'.repeat(500) } }, 'h:1').message!.length).toBeLessThan(100);
    expect(gatewayCheck({ ok: false, error: 'ECONNREFUSED' }, 'h:1')).toMatchObject({ status: 'fail', message: expect.stringMatching(/unreachable \(ECONNREFUSED\).*start \.\/bin\/vigil gateway/) });
  });

  it('no check when the port is not known in advance', () => {
    expect(createGatewayHealth({ host: '127.0.0.1', port: 0 })).toBeNull();
  });

  describe('against a loopback server', () => {
    let server: http.Server;
    let answer: (res: http.ServerResponse) => unknown = (res) => res.end(JSON.stringify({ status: 'ok' }));
    beforeAll(async () => {
      server = http.createServer((req, res) => (req.url === '/health' ? answer(res) : res.writeHead(404).end()));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));
    const port = () => (server.address() as AddressInfo).port;

    it('ok, degraded, junk, hung and refused', async () => {
      // A generous timeout for the answers (the shared test machine can be slow); a short one for the hang.
      const probe = createGatewayHealth({ host: '0.0.0.0', port: port() }, { timeoutMs: 5000 })!;
      expect((await probe.check()).status).toBe('ok');
      answer = (res) => res.writeHead(503).end(JSON.stringify({ status: 'degraded' }));
      expect((await probe.check()).status).toBe('warn');
      answer = (res) => res.writeHead(200).end('<html>');
      expect((await probe.check()).status).toBe('fail');
      answer = () => undefined; // never answers
      const impatient = createGatewayHealth({ host: '127.0.0.1', port: port() }, { timeoutMs: 300 })!;
      expect(await impatient.check()).toMatchObject({ status: 'fail', message: expect.stringMatching(/no answer within 300 ms/) });
      const closed = createGatewayHealth({ host: '127.0.0.1', port: await freePort() }, { timeoutMs: 5000 })!;
      expect(await closed.check()).toMatchObject({ status: 'fail', message: expect.stringMatching(/unreachable \(ECONNREFUSED\)/) });
    });

    it('api.gatewayHealthUrl is asked instead of gateway.host:port (even when the port is not known here)', async () => {
      answer = (res) => res.end(JSON.stringify({ status: 'ok', gatewayId: 'behind-lb' }));
      const url = `http://127.0.0.1:${port()}/health`;
      const probe = createGatewayHealth({ host: '10.255.255.1', port: 0 }, { url, timeoutMs: 5000 })!;
      expect(await probe.check()).toEqual({ status: 'ok', details: { httpStatus: 200, gatewayId: 'behind-lb' } });
      // The path is the configured one: a URL without /health reaches the server's 404.
      const wrongPath = createGatewayHealth({ host: '127.0.0.1', port: port() }, { url: `http://127.0.0.1:${port()}/`, timeoutMs: 5000 })!;
      expect(await wrongPath.check()).toMatchObject({ status: 'fail', message: `gateway at http://127.0.0.1:${port()}/ answered HTTP 404` });
      const refusedUrl = `http://127.0.0.1:${await freePort()}/health`;
      const refused = createGatewayHealth({ host: '127.0.0.1', port: port() }, { url: refusedUrl, timeoutMs: 5000 })!;
      expect(await refused.check()).toMatchObject({ status: 'fail', message: expect.stringContaining(`gateway at ${refusedUrl} unreachable (ECONNREFUSED)`) });
    });
  });
});
