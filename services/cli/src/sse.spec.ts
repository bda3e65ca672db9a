import { SseParser } from './sse';

describe('a text/event-stream read in arbitrary chunks', () => {
  it('yields each event once complete, with its id, type and data', () => {
    const parser = new SseParser();
    const stream = ': watching local from 4\n\nid: 5\nevent: registered\ndata: {"a":1}\n\n: keep-alive\n\nid: 6\r\nevent: reset\r\ndata: {"b":\r\ndata: 2}\r\n\r\n';
    const events = [];
    for (let at = 0; at < stream.length; at += 7) events.push(...parser.push(stream.slice(at, at + 7)));
    expect(events).toEqual([
      { id: '5', event: 'registered', data: '{"a":1}' },
      { id: '6', event: 'reset', data: '{"b":\n2}' },
    ]);
  });

  it('keeps the last id for events without one, and names untyped events "message"', () => {
    const parser = new SseParser();
    expect(parser.push('id: 9\ndata: x\n\ndata: y\n\n')).toEqual([
      { id: '9', event: 'message', data: 'x' },
      { id: '9', event: 'message', data: 'y' },
    ]);
  });

  it('yields nothing for an event not yet ended by a blank line', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\nevent: failed\ndata: {}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ id: '1', event: 'failed', data: '{}' }]);
  });
});
