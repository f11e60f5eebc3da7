import * as net from 'node:net';

export interface DelayingProxy {
  endpoint: string;
  /** The most requests in flight at once so far. */
  maxInFlight(): number;
  close(): Promise<void>;
}

/**
 * A proxy on 127.0.0.1 before the HTTP server at `target` that holds every answer `delayMs`
 * (a slow link's round trip, for the tests and the bench) and counts the requests the client
 * has in flight at once (one per connection: HTTP/1.1 without pipelining).
 */
export async function delayingProxy(target: string, delayMs: number): Promise<DelayingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let inFlight = 0;
  let max = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => client.destroy());
    }
    client.on('data', (chunk: Buffer) => {
      if (/^(GET|PUT|HEAD|POST|DELETE) /.test(chunk.toString('latin1', 0, 7))) max = Math.max(max, ++inFlight);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        if (chunk.toString('latin1', 0, 5) === 'HTTP/') inFlight--;
        client.write(chunk);
      }, delayMs);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => setTimeout(() => client.end(), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    maxInFlight: () => max,
    close: () =>
      new Promise((resolve) => {
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
}
