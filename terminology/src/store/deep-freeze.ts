/** Freezes an object graph in place (iteratively, so deep content cannot overflow the stack). */
export function deepFreeze<T>(root: T): T {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
    Object.freeze(value);
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) pending.push(child);
  }
  return root;
}
