import { readFileSync } from 'node:fs';
import fastify from 'fastify';

/*
 * The query API benchmark's baseline: fastify (the query service's framework, same version)
 * with nothing else, answering the query service's routes with static bodies of the same
 * size, read from the files named in BENCH_BARE_BODIES ({"list","page","one"} → file).
 * Run as its own process, like the query service, so both are measured the same way.
 */
async function main(): Promise<void> {
  const files = JSON.parse(process.env['BENCH_BARE_BODIES'] ?? '{}') as Record<'list' | 'page' | 'one', string>;
  const body = (name: 'list' | 'page' | 'one'): string => readFileSync(files[name], 'utf8');
  const [list, page, one] = [body('list'), body('page'), body('one')];
  const app = fastify({ logger: false });
  const json = 'application/json; charset=utf-8';
  app.get('/v1/scopes/:scope/interfaces', (request, reply) => reply.type(json).send((request.query as { limit?: string }).limit === undefined ? list : page));
  app.get('/v1/scopes/:scope/interfaces/:ifIndex', (_request, reply) => reply.type(json).send(one));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(JSON.stringify({ msg: 'bare server listening', url }));
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('bare server failed:', error);
  process.exit(1);
});
