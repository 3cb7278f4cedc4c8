import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedRequest {
  /** performance.timeOrigin-based ms when the body was complete. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A rest-hook endpoint on a loopback port that records what it gets and answers as told. */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  #server: Server;
  #port = 0;
  #reply: (request: ReceivedRequest) => Reply | Promise<Reply> = () => ({ status: 200 });
  #waiters: (() => void)[] = [];

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const received: ReceivedRequest = {
          at: Date.now(),
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(received);
        for (const wake of this.#waiters.splice(0)) wake();
        const reply = await this.#reply(received);
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? '');
      });
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.#server.listen(0, '127.0.0.1');
    await once(receiver.#server, 'listening');
    const address = receiver.#server.address();
    receiver.#port = typeof address === 'object' && address ? address.port : 0;
    return receiver;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  answer(reply: (request: ReceivedRequest) => Reply | Promise<Reply>): void {
    this.#reply = reply;
  }

  /** Resolves once at least `count` requests matched `filter`. */
  async waitFor(count: number, filter: (request: ReceivedRequest) => boolean = () => true, timeoutMs = 20_000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.requests.filter(filter);
      if (matching.length >= count) return matching;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} request(s); got ${matching.length}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
