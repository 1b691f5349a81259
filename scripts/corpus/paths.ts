// Where the corpus lives and what it is built from (issue 10).
import { join } from 'node:path';
import { cacheRoot } from '../../src/util/cache.js';

export const RELEASE = '6.1.0-50-amd64';
/** linux-source-6.1 of RELEASE (the base every patch applies to) and the newer stable version. */
export const OLD_VERSION = '6.1.176-1';
export const NEW_VERSION = '6.1.187-1';

export const corpusDir = () => join(cacheRoot(), 'corpus', `${OLD_VERSION}..${NEW_VERSION}`);
export const treeDir = (version: string) => join(corpusDir(), 'src', version);
export const patchesDir = () => join(corpusDir(), 'patches');
export const manifestPath = () => join(corpusDir(), 'manifest.json');
export const runsDir = () => join(corpusDir(), 'runs');
