import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryRejectedError, RegistryTimeoutError, RegistryUnavailableError } from './errors';
import { HttpRegistryClient } from './http-registry-client';
import type { WireMessage } from './registry-client';

// A real HTTP server on loopback that answers as told: the status mapping of the client
// against the answers POST /v1/messages can give (the all-in-one itself: agent-linux's specs).

interface Seen {
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

let server: Server;
let url: string;
let answer: (res: ServerResponse) => void;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(body) });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => (seen.length = 0));

const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const detection: WireMessage = {
  type: 'InterfaceDetected',
  schemaVersion: 1,
  messageId: 'm-1',
  scope: 'host-a',
  providerId: 'agent-test',
  luid: { ifType: 6, netLuidIndex: 1 },
  info: { friendlyName: 'eth0' },
};
const registered = {
  type: 'InterfaceRegistered',
  scope: 'host-a',
  epoch: 1,
  ifIndex: 3,
  luid: { ifType: 6, netLuidIndex: 1 },
  providerId: 'agent-test',
  providerIfContext: '',
  info: { friendlyName: 'eth0' },
  causationId: 'm-1',
  at: '2026-11-24T12:00:00.000Z',
};

describe('a message the service answers with its outcome (200)', () => {
  it('resolves with the event and its position, having posted the JSON with wait=true and the token', async () => {
    answer = json(200, { ...registered, position: 42 });
    const client = new HttpRegistryClient({ url: `${url}/`, token: 'secret-token-0123456789', timeoutMs: 1500 });

    const outcome = await client.send(detection);

    expect(outcome).toEqual({ scope: 'host-a', event: registered, position: 42 });
    expect(seen).toEqual([
      {
        url: '/v1/messages?wait=true&timeoutMs=1500',
        headers: expect.objectContaining({ authorization: 'Bearer secret-token-0123456789', 'content-type': 'application/json' }),
        body: detection,
      },
    ]);
  });

  it('sends no authorization header without a token, and the per-call timeout when given', async () => {
    answer = json(200, { ...registered, position: 1 });

    await new HttpRegistryClient({ url }).send(detection, { timeoutMs: 250 });

    expect(seen[0]?.headers['authorization']).toBeUndefined();
    expect(seen[0]?.url).toBe('/v1/messages?wait=true&timeoutMs=250');
  });
});

describe('an answer that is not a registry event', () => {
  it('rejects with RegistryUnavailableError naming what the event lacks', async () => {
    const { ifIndex: _, ...withoutIndex } = registered;
    answer = json(200, { ...withoutIndex, position: 3 });

    await expect(new HttpRegistryClient({ url }).send(detection)).rejects.toThrow(new RegistryUnavailableError('the service answered message m-1 without an outcome event (ifIndex is required)'));
  });
});

describe('a message the service refuses (400)', () => {
  it('resolves with the recorded RegistrationFailed when the answer carries the outcome', async () => {
    const failed = {
      type: 'RegistrationFailed',
      scope: 'host-a',
      epoch: 1,
      messageType: 'InterfaceDetected',
      status: 'INVALID_PARAMETER',
      reason: 'info.mediaType must be <= 19',
      causationId: 'm-1',
      at: '2026-11-24T12:00:00.000Z',
    };
    answer = json(400, { error: 'InvalidMessage', reason: 'info.mediaType must be <= 19', messageId: 'm-1', outcome: { ...failed, position: 7 } });

    await expect(new HttpRegistryClient({ url }).send(detection)).resolves.toEqual({ scope: 'host-a', event: failed, position: 7 });
  });

  it('rejects with RegistryRejectedError and the reason when nothing was recorded', async () => {
    answer = json(400, { error: 'InvalidMessage', reason: 'scope must be 1-64 characters of [A-Za-z0-9._-], got "bad scope"' });

    const sending = new HttpRegistryClient({ url }).send(detection);

    await expect(sending).rejects.toBeInstanceOf(RegistryRejectedError);
    await expect(sending).rejects.toMatchObject({ retriable: false, httpStatus: 400, code: 'InvalidMessage', reason: expect.stringContaining('scope must be') });
  });

  it('rejects a missing token (401) the same way', async () => {
    answer = json(401, { error: 'Unauthorized', reason: 'missing or wrong bearer token' });

    await expect(new HttpRegistryClient({ url }).send(detection)).rejects.toMatchObject({ name: 'RegistryRejectedError', httpStatus: 401, reason: 'missing or wrong bearer token' });
  });
});

describe('no outcome in time', () => {
  it('maps 504 to a retriable RegistryTimeoutError', async () => {
    answer = json(504, { error: 'OutcomeTimeout', reason: 'no outcome for message m-1 within 100 ms', messageId: 'm-1' });

    const sending = new HttpRegistryClient({ url, timeoutMs: 100 }).send(detection);

    await expect(sending).rejects.toBeInstanceOf(RegistryTimeoutError);
    await expect(sending).rejects.toMatchObject({ retriable: true, messageId: 'm-1', timeoutMs: 100 });
  });

  it('gives up on a service that does not answer at all', async () => {
    answer = () => undefined; // never answers

    const sending = new HttpRegistryClient({ url, timeoutMs: 50, networkSlackMs: 50 }).send(detection);

    await expect(sending).rejects.toThrow(new RegistryTimeoutError('m-1', 100, `no HTTP answer from ${url}`));
  });
});

describe('a service that is down or failing', () => {
  it('maps a refused connection to a retriable RegistryUnavailableError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const sending = new HttpRegistryClient({ url: `http://127.0.0.1:${port}` }).send(detection);

    await expect(sending).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(sending).rejects.toThrow(/ECONNREFUSED/);
  });

  it('maps a 500 to RegistryUnavailableError with the reason', async () => {
    answer = json(500, { error: 'Internal', reason: 'event store unavailable' });

    await expect(new HttpRegistryClient({ url }).send(detection)).rejects.toThrow(new RegistryUnavailableError(`unexpected HTTP 500 from ${url}: event store unavailable`));
  });
});
