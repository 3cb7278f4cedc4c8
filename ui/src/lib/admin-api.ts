import type { MedplumClient } from '@medplum/core';

/** An admin API answer that is not 2xx: the status and the OperationOutcome's text. */
export class AdminApiError extends Error {
  readonly status: number;
  readonly code?: string;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'AdminApiError';
    this.status = status;
    this.code = code;
  }
}

export interface StoredMessage {
  id: string;
  kind: string;
  source: string;
  messageType?: string;
  controlId?: string;
  contentType: string;
  raw: string;
  receivedAt: string;
  updatedAt: string;
  status: 'received' | 'mapped' | 'stored' | 'error';
  error?: string;
  attempts: number;
  patientIds: string[];
  resources: string[];
}

export interface MessageStats {
  since: string;
  until: string;
  sources: {
    kind: string;
    source: string;
    total: number;
    byStatus: Record<StoredMessage['status'], number>;
    maxAttempts: number;
    lastReceivedAt: string;
    lastErrorAt?: string;
  }[];
  hourly: { hour: string; source: string; status: StoredMessage['status']; count: number }[];
}

export interface DeadLetter {
  id?: string;
  envelope?: { id: string; kind: string; source: string; receivedAt: string; body?: unknown };
  rawBody?: string;
  reason: string;
  lastError: string;
  attempts: number;
  deadAt: string;
  queue: string;
  replays: number;
}

export interface UnmappedCode {
  system: string;
  code: string;
  display?: string;
  targetSystem?: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  exampleMessageId?: string;
  mappedNow: boolean;
}

/** Calls the hub's admin API (`/admin/...`) with a MedplumClient's token. */
export class AdminApi {
  readonly client: MedplumClient;
  constructor(client: MedplumClient) {
    this.client = client;
  }

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    await this.client.refreshIfExpired();
    const token = this.client.getAccessToken();
    const response = await fetch(new URL(path, this.client.getBaseUrl()), {
      method,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const issue = (parsed as { issue?: { details?: { text?: string; coding?: { code?: string }[] }; diagnostics?: string }[] } | undefined)?.issue?.[0];
      const message = issue?.details?.text ?? issue?.diagnostics ?? (text.slice(0, 300) || response.statusText);
      throw new AdminApiError(response.status, message, issue?.details?.coding?.[0]?.code);
    }
    return parsed as T;
  }

  messages(query: URLSearchParams): Promise<{ total: number; messages: StoredMessage[] }> {
    return this.request('GET', `admin/messages?${query.toString()}`);
  }

  message(id: string): Promise<StoredMessage> {
    return this.request('GET', `admin/messages/${encodeURIComponent(id)}`);
  }

  replayMessages(ids: string[]): Promise<{ replayed: number; ids: string[] }> {
    return this.request('POST', 'admin/messages/replay', { ids });
  }

  stats(hours: number): Promise<MessageStats> {
    return this.request('GET', `admin/messages/stats?hours=${hours}`);
  }

  unmapped(): Promise<{ total: number; codes: UnmappedCode[] }> {
    return this.request('GET', 'admin/terminology/unmapped?_count=100');
  }

  deadLetters(queue: string, limit = 100): Promise<{ queue: string; count: number; items: DeadLetter[] }> {
    return this.request('GET', `admin/dead-letters/${encodeURIComponent(queue)}?limit=${limit}`);
  }

  replayDeadLetters(queue: string, ids: string[] | 'all'): Promise<{ queue: string; replayed: number }> {
    return this.request('POST', `admin/dead-letters/${encodeURIComponent(queue)}/replay`, ids === 'all' ? { all: true } : { ids });
  }
}

/** A 404 naming no route means the hub does not mount that admin API (yet). */
export function isNotMounted(error: unknown): boolean {
  return error instanceof AdminApiError && error.status === 404 && (error.code === 'SIMPUL-HUB-010' || /No route for/.test(error.message));
}

export function isForbidden(error: unknown): boolean {
  return error instanceof AdminApiError && (error.status === 403 || error.status === 401);
}
