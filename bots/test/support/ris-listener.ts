import { Hl7Message } from '@medplum/core';
import { Hl7Server, type Hl7Connection, type Hl7MessageEvent } from '@medplum/hl7';

/**
 * A real MLLP listener playing the RIS in tests (`Hl7Server` on a free port). Each message it
 * receives is kept (parsed with our `@medplum/core`) and answered as `answer` says: an ACK with
 * any MSA-1 (optionally an ERR text, another control id, closing the socket afterwards, or
 * preceded by a late AA for an earlier control id, sent on the connection that one came in on),
 * silence, closing the socket at once, or raw text.
 */
export type RisAnswer =
  | { kind: 'ack'; code: string; text?: string; controlId?: string; closeAfter?: boolean; lateAckFor?: string }
  | { kind: 'silence' }
  | { kind: 'close' }
  | { kind: 'raw'; text: string };

export interface ScriptedRis {
  readonly port: number;
  readonly received: Hl7Message[];
  /** For each received message, the number (1-based) of the connection it came in on. */
  readonly receivedOn: number[];
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Decides how each message is answered; AA by default. */
  answer: (message: Hl7Message) => RisAnswer;
  stop(): Promise<void>;
}

type WireMessage = Parameters<Hl7Connection['send']>[0];

export async function startScriptedRis(): Promise<ScriptedRis> {
  let accepted = 0;
  const open = new Set<Hl7Connection>();
  const arrivedOn = new Map<string, Hl7Connection>();
  const ris: ScriptedRis = {
    port: 0,
    received: [],
    receivedOn: [],
    connections: () => accepted,
    answer: () => ({ kind: 'ack', code: 'AA' }),
    async stop() {
      await Promise.all([...open].map((connection) => connection.close()));
      await server.stop({ forceDrainTimeoutMs: 0 });
    },
  };
  const server = new Hl7Server((connection) => {
    const serial = ++accepted;
    open.add(connection);
    connection.addEventListener('close', () => open.delete(connection));
    connection.addEventListener('message', (event: Hl7MessageEvent) => {
      // @medplum/hl7 has its own copy of @medplum/core: cross over as text.
      const message = Hl7Message.parse(event.message.toString());
      ris.received.push(message);
      ris.receivedOn.push(serial);
      arrivedOn.set(message.getSegment('MSH')?.getField(10)?.toString() ?? '', connection);
      const answer = ris.answer(message);
      if (answer.kind === 'silence') return;
      if (answer.kind === 'close') {
        connection.socket.destroy();
        return;
      }
      const earlier = answer.kind === 'ack' && answer.lateAckFor ? arrivedOn.get(answer.lateAckFor) : undefined;
      if (earlier && !earlier.isClosed()) {
        const late = ackText(message, 'AA', undefined, (answer as { lateAckFor: string }).lateAckFor);
        earlier.send({ toString: () => late } as WireMessage);
      }
      const text = answer.kind === 'raw' ? answer.text : ackText(message, answer.code, answer.text, answer.controlId);
      connection.send({ toString: () => text } as WireMessage);
      if (answer.kind === 'ack' && answer.closeAfter) connection.socket.end();
    });
  });
  await server.start(0);
  const address = server.server?.address();
  (ris as { port: number }).port = typeof address === 'object' && address ? address.port : 0;
  return ris;
}

function ackText(message: Hl7Message, code: string, errorText: string | undefined, controlId: string | undefined): string {
  const msh = message.getSegment('MSH')!;
  const segments = [
    `MSH|^~\\&|${msh.getField(5)}|${msh.getField(6)}|${msh.getField(3)}|${msh.getField(4)}|20240501000000||ACK^${msh.getField(9).getComponent(2)}^ACK|R${Date.now()}|P|${msh.getField(12)}`,
    `MSA|${code}|${controlId ?? msh.getField(10).toString()}`,
  ];
  if (errorText) segments.push(`ERR|||207^Application internal error^HL70357|E||||${errorText}`);
  return segments.join('\r');
}

/** Decodes the standard escape sequences of a value the RIS received. */
export function decodeHl7(text: string): string {
  return text.replace(/\\([FSTRE])\\/g, (_sequence, code: string) => ({ F: '|', S: '^', T: '&', R: '~', E: '\\' })[code] ?? '');
}
