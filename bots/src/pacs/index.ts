/** The PACS destination driver (C-STORE SCU) and the pieces the end-to-end tests use. */
export { deliverToPacs } from './deliver-to-pacs.ts';
export { storeInstances, type InstanceResult, type StoreRunOptions, type StoreTargetOptions } from './store-scu.ts';
export { interpretStoreStatus, formatStatus, type StoreOutcome } from './store-status.ts';
export { studyInstanceFiles, studyInstanceUid } from './study-instances.ts';
