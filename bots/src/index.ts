/** Public entry of this workspace; nothing is exported until the issue that builds it lands. */
export {};
