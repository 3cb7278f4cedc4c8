import type { Channel, Connection } from 'rabbitmq-client';
import { AMQPError } from 'rabbitmq-client';
import { BusError } from './errors.ts';

/**
 * Passive declares: they tell whether a queue exists and how many ready messages it holds
 * (unacknowledged deliveries are not counted) without creating or changing anything. A missing
 * queue makes the broker close the channel used; rabbitmq-client opens a new one when needed.
 */
export async function countReadyMessages(via: Channel | Connection, queue: string): Promise<number> {
  try {
    const { messageCount } = await via.queueDeclare({ queue, passive: true });
    return messageCount;
  } catch (error) {
    if (error instanceof AMQPError && error.code === 'NOT_FOUND') {
      throw new BusError('QUEUE_NOT_FOUND', `queue "${queue}" does not exist`, { cause: error });
    }
    throw error;
  }
}

export async function queueExists(via: Channel | Connection, queue: string): Promise<boolean> {
  try {
    await countReadyMessages(via, queue);
    return true;
  } catch (error) {
    if (error instanceof BusError && error.code === 'QUEUE_NOT_FOUND') return false;
    throw error;
  }
}
