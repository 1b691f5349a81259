/**
 * A patch stream (README, "Deploying"): a named, ordered series of patches whose every build is
 * cumulative (all its patches in one module per kernel release) and versioned (1, 2, ...). What
 * a livepatch module records about it for the loader on the target, in its .modinfo: whether
 * the module uses atomic replace (the kernel then disables every other livepatch when it loads),
 * and the stream and version it is a build of.
 *
 * The .modinfo keys are the home of the names tsbuild-patch-ctl reads (its shell copy: runtime/ctl/streams.sh);
 * src/emit/loader-modinfo.ts writes them, src/deploy/package/ reads them.
 */
import type { ModinfoEntry } from '../elf/index.js';
import { UserError } from '../util/errors.js';
import { modinfoEntryValue } from './modinfo.js';

/** `tsbuild_patch_replace=Y|N`: the module's klp_patch.replace (the loader cannot read the ELF). */
export const REPLACE_KEY = 'tsbuild_patch_replace';
/** `tsbuild_patch_stream=<name>`: the stream the module is a build of (absent outside a stream). */
export const STREAM_KEY = 'tsbuild_patch_stream';
/** `tsbuild_patch_stream_version=<N>`: which build of the stream. */
export const STREAM_VERSION_KEY = 'tsbuild_patch_stream_version';

export interface StreamIdentity {
  /** Lower-case letters and digits in dash-separated words: a Debian package name's part. */
  name: string;
  /** 1, 2, ...: the module name carries it. */
  version: number;
}

/** Every livepatch module and package name starts so (README: livepatch-fix-1, -2). */
export const LIVEPATCH_PREFIX = 'livepatch-';
const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const VERSION = /^[1-9][0-9]*$/;

/** NAME as a stream name, or a UserError saying what one is. */
export function checkStreamName(name: string): string {
  if (!NAME.test(name))
    throw new UserError(`stream name '${name}': use lower-case letters and digits, words joined by single dashes`, {
      hint: 'e.g. --stream cve-fixes (the package is livepatch-cve-fixes, its modules livepatch-cve-fixes-1, -2, ...)',
    });
  return name;
}

/** VERSION (a string from a command line or a .modinfo) as a stream version: 1, 2, ... */
export function checkStreamVersion(version: string | number): number {
  const text = String(version);
  if (!VERSION.test(text))
    throw new UserError(`stream version '${text}': a whole number from 1 up (each build of a stream has the next)`);
  return Number(text);
}

/** The one Debian package of stream NAME. */
export const streamPackageName = (name: string): string => `${LIVEPATCH_PREFIX}${checkStreamName(name)}`;

/** What a module's .modinfo ENTRIES record for the loader: atomic replace (undefined: not recorded) and its stream. */
export interface LoaderFacts {
  replace: boolean | undefined;
  stream: StreamIdentity | undefined;
}

export function loaderFactsOf(entries: readonly ModinfoEntry[], where: string): LoaderFacts {
  const replace = modinfoEntryValue(entries, REPLACE_KEY);
  const name = modinfoEntryValue(entries, STREAM_KEY);
  const version = modinfoEntryValue(entries, STREAM_VERSION_KEY);
  if ((name === undefined) !== (version === undefined))
    throw new UserError(`${where}: its .modinfo records ${name === undefined ? STREAM_VERSION_KEY : STREAM_KEY} alone`);
  return {
    replace: replace === undefined ? undefined : replace === 'Y',
    stream: name === undefined ? undefined : { name: checkStreamName(name), version: checkStreamVersion(version!) },
  };
}
