import { join } from 'node:path';

/** The repository root, from services/bench/dist/<dir>/ (built) or services/bench/src/<dir>/. */
export const ROOT = join(__dirname, '..', '..', '..', '..');

/** A built service's entry point (npm run bench builds everything first). */
export const serviceMain = (service: 'registrar' | 'query'): string => join(ROOT, 'services', service, 'dist', 'main.js');

/** The bare fastify server the query API is compared with (services/bench/src/bare-server.ts). */
export const bareServerMain = join(ROOT, 'services', 'bench', 'dist', 'bare-server.js');
