export { commitFileDurably, ensureDirectoryDurably, pathInside, syncDirectory, syncFileAndDirectory, writeFileDurably } from './durable-file.ts';
