import { join } from 'node:path';

/** The repository root, from services/bench/dist/<dir>/ (built) or services/bench/src/<dir>/. */
export const ROOT = join(__dirname, '..', '..', '..', '..');

/** A built service's entry point (npm run bench builds everything first). */
export const serviceMain = (service: 'registrar' | 'query' | 'all-in-one'): string => join(ROOT, 'services', service, 'dist', 'main.js');

/** The bare fastify server the query API is compared with (services/bench/src/bare-server.ts). */
export const bareServerMain = join(ROOT, 'services', 'bench', 'dist', 'bare-server.js');

/** The bare node:http server the watch fan-out is compared with (services/bench/src/bare-watch-server.ts). */
export const bareWatchServerMain = join(ROOT, 'services', 'bench', 'dist', 'bare-watch-server.js');

/** The watch benchmark's load client (services/bench/src/watch-load.ts). */
export const watchLoadMain = join(ROOT, 'services', 'bench', 'dist', 'watch-load.js');
