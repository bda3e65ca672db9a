import { join } from 'node:path';
import { ROOT } from '@ifreg/testing';

// A built service's entry point is @ifreg/testing's serviceMain (npm run bench builds everything first).
export { ROOT, serviceMain } from '@ifreg/testing';

/** The bare fastify server the query API is compared with (services/bench/src/bare-server.ts). */
export const bareServerMain = join(ROOT, 'services', 'bench', 'dist', 'bare-server.js');

/** The bare node:http server the watch fan-out is compared with (services/bench/src/bare-watch-server.ts). */
export const bareWatchServerMain = join(ROOT, 'services', 'bench', 'dist', 'bare-watch-server.js');

/** The watch benchmark's load client (services/bench/src/watch-load.ts). */
export const watchLoadMain = join(ROOT, 'services', 'bench', 'dist', 'watch-load.js');
