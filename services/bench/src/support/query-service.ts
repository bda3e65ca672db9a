import { ServiceProcess } from '@ifreg/testing';
import { serviceMain } from './paths';

/** A query service process on a store, ready once it has folded the store's history in. */
export async function startQueryService(env: Record<string, string>, options: { cpuProfDir?: string; timeoutMs?: number } = {}): Promise<{ service: ServiceProcess; url: string }> {
  const service = new ServiceProcess('query', serviceMain('query'), {
    env: { IFREG_HTTP_PORT: '0', IFREG_LOG_LEVEL: 'info', ...env },
    ...(options.cpuProfDir === undefined ? {} : { cpuProfDir: options.cpuProfDir }),
  });
  try {
    const entry = await service.waitForLog('query service caught up', options.timeoutMs ?? 120_000);
    return { service, url: String(entry['url']) };
  } catch (error) {
    await service.stop();
    throw error;
  }
}

/** GET as JSON; fails on a status other than 200. */
export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
