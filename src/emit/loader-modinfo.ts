/**
 * What a livepatch module tells tsbuild-patch-ctl in its .modinfo besides the kernel's identity
 * (built-against.ts): whether it uses atomic replace, and the stream and version it is a build of
 * (src/kernel/stream-facts.ts has the keys). The loader refuses an atomic-replace module that
 * would disable a patch of another stream, and replaces a stream's older build with its newer.
 */
import {
  checkStreamName,
  checkStreamVersion,
  REPLACE_KEY,
  STREAM_KEY,
  STREAM_VERSION_KEY,
  type StreamIdentity,
} from '../kernel/stream-facts.js';

/** The MODULE_INFO lines of the C skeleton that record REPLACE and STREAM. */
export function loaderModinfo(replace: boolean, stream: StreamIdentity | undefined): string {
  const lines = [
    '/* For tsbuild-patch-ctl: atomic replace, and the stream this module is a build of. */',
    `MODULE_INFO(${REPLACE_KEY}, "${replace ? 'Y' : 'N'}");`,
    ...(stream
      ? [
          `MODULE_INFO(${STREAM_KEY}, "${checkStreamName(stream.name)}");`,
          `MODULE_INFO(${STREAM_VERSION_KEY}, "${checkStreamVersion(stream.version)}");`,
        ]
      : []),
  ];
  return `\n${lines.join('\n')}`;
}
