import type { StreamIdentity } from '../../kernel/stream-facts.js';
import { UserError } from '../../util/errors.js';
import type { LivepatchModuleFacts } from './module-facts.js';

/**
 * The stream a package's modules are builds of (one package per stream, one build of it: every
 * module the same stream and version), or undefined when none is a build of a stream. A package
 * of modules of several streams, or of a stream's and others, is refused.
 */
export function packageStream(modules: readonly LivepatchModuleFacts[]): StreamIdentity | undefined {
  const describe = (m: LivepatchModuleFacts) =>
    `${m.path} (${m.stream ? `stream ${m.stream.name}, version ${m.stream.version}` : 'outside any stream'})`;
  const [first, ...rest] = modules;
  const other = rest.find(
    (m) => m.stream?.name !== first?.stream?.name || m.stream?.version !== first?.stream?.version,
  );
  if (first && other)
    throw new UserError(`one package is one build of one stream: ${describe(first)} and ${describe(other)}`, {
      hint: 'package each stream, and the patches outside streams, apart',
    });
  return first?.stream;
}
