import { afterEach, describe, expect, it } from 'vitest';
import { startOpsHttp, type OpsHttpServer } from '../../../src/adapters/ops-http.js';
import { createLogger } from '../../../src/log.js';

const { log } = createLogger('silent');
const servers: OpsHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('the operator HTTP listener', () => {
  it('serves /healthz, /readyz with reasons, /metrics; refuses other methods and paths', async () => {
    let reasons = ['component link offline', 'database not writable: x'];
    const server = await startOpsHttp({
      host: '127.0.0.1',
      port: 0,
      log,
      scrape: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'jabirc_x_total 1\n' }),
      notReady: () => reasons,
    });
    servers.push(server);
    const base = `http://127.0.0.1:${server.address.port}`;
    const get = async (path: string, init?: RequestInit) => {
      const r = await fetch(base + path, init);
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
    };
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toMatchObject({ status: 503, body: 'component link offline\ndatabase not writable: x\n' });
    reasons = [];
    expect(await get('/readyz')).toMatchObject({ status: 200, body: 'ready\n' });
    expect(await get('/metrics')).toEqual({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: 'jabirc_x_total 1\n' });
    expect(await get('/metrics?x=1')).toMatchObject({ status: 200 });
    expect(await get('/nope')).toMatchObject({ status: 404 });
    expect(await get('/metrics', { method: 'POST', body: 'x' })).toMatchObject({ status: 405 });
    expect((await get('/healthz', { method: 'HEAD' })).status).toBe(200);
  });

  it('fails to start with a ListenError naming the address when the port is taken', async () => {
    const opts = { host: '127.0.0.1', port: 0, log, scrape: async () => ({ contentType: 't', body: '' }), notReady: () => [] };
    const first = await startOpsHttp(opts);
    servers.push(first);
    await expect(startOpsHttp({ ...opts, port: first.address.port })).rejects.toThrow(
      `cannot listen on 127.0.0.1:${first.address.port} for metrics: EADDRINUSE`,
    );
  });
});
