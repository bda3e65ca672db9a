import 'reflect-metadata';
import { ConfigError } from '@ifreg/platform';
import { loadConfig } from './config';
import { startRegistrar } from './start';

/** The registrar as its own process: Kafka agent messages in, events and outcomes out. */
startRegistrar(loadConfig(process.env), { handleSignals: true }).catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('ifreg registrar failed to start:', error);
  process.exit(1);
});
