import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type { EventSourceMessage };

/**
 * A reader of a text/event-stream fed chunk by chunk (eventsource-parser, the parser the CLI
 * uses too): calls `onEvent` for every complete event and `onComment` for comment lines.
 */
export function sseReader(onEvent: (event: EventSourceMessage) => void, onComment?: (comment: string) => void): (chunk: string) => void {
  const parser = createParser({ onEvent, ...(onComment ? { onComment } : {}) });
  return (chunk) => parser.feed(chunk);
}
