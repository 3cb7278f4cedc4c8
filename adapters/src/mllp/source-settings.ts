import type { MllpConfig } from '@simpul/infra';

/** One listening socket with every setting resolved (an entry of `mllp.sources` after validation). */
export type MllpSourceConfig = MllpConfig['sources'][number];

/** A charset as MSH-18 names it: `ASCII`, `8859/1` or `UNICODE UTF-8`. */
export type MllpCharset = MllpSourceConfig['defaultCharset'];
