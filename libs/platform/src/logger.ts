import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; pretty only when a person asked for it. */
export function createLogger(options: { level: string; name: string; pretty?: boolean }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    ...(options.pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
