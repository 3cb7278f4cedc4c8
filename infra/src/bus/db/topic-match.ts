import type { ExchangeType } from '../topology.ts';

/**
 * Whether a binding's key takes a message's routing key, as RabbitMQ decides it: `direct` compares
 * whole keys; `topic` splits on "." where `*` stands for exactly one word and `#` for zero or more;
 * `fanout` takes everything.
 */
export function bindingMatches(type: ExchangeType, bindingKey: string, routingKey: string): boolean {
  if (type === 'fanout') return true;
  if (type === 'direct') return bindingKey === routingKey;
  if (type === 'topic') return topicMatches(bindingKey.split('.'), routingKey.split('.'));
  return false;
}

function topicMatches(pattern: readonly string[], words: readonly string[]): boolean {
  // seen[i][j]: pattern[i..] against words[j..] was already tried and failed (keeps `#.#.#` linear).
  const failed = new Set<number>();
  const width = words.length + 1;
  const match = (i: number, j: number): boolean => {
    if (i === pattern.length) return j === words.length;
    const key = i * width + j;
    if (failed.has(key)) return false;
    let ok: boolean;
    if (pattern[i] === '#') ok = match(i + 1, j) || (j < words.length && match(i, j + 1));
    else ok = j < words.length && (pattern[i] === '*' || pattern[i] === words[j]) && match(i + 1, j + 1);
    if (!ok) failed.add(key);
    return ok;
  };
  return match(0, 0);
}
