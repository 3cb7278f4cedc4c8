/**
 * Test support shared by every workspace's tests (not part of the runtime entry):
 * `import { createTestVhost } from '@simpul/infra/testing'`.
 */
export { createTestVhost, type TestVhost } from './bus/testing/test-vhost.ts';
export * from './sandbox/satusehat/index.ts';
