import '@ifreg/platform/require-supported-node';
import { ConfigError } from '@ifreg/platform';
import { startTracing } from '@ifreg/platform/tracing';
import { loadConfig } from './config';
import { startAgentLinux } from './start';

/** The Linux agent as its own process: this host's interfaces in, registrations out. */
async function main(): Promise<void> {
  startTracing('ifreg-agent-linux');
  await startAgentLinux(loadConfig(process.env), { handleSignals: true });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('ifreg agent-linux failed to start:', error);
  process.exit(1);
});
