export { adminTerminologyRoutes, type AdminTerminologyRoutesOptions } from './admin-terminology-routes.ts';
export { HubTerminology, TERMINOLOGY_CHANGED_CHANNEL, type HubTerminologyOptions, type TerminologySnapshot } from './hub-terminology.ts';
export { registerTerminologyOperations } from './terminology-operations.ts';
export { createTerminologyWriteListener } from './terminology-write-listener.ts';
export { listUnmappedCodes, recordUnmappedCodes, type UnmappedCode } from './unmapped-code-store.ts';
