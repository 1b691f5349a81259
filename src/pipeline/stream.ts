/**
 * One build of a patch stream (README, "Deploying"): every patch of its series, in order, in one
 * module per kernel release (cumulative), named after the stream and the build's version
 * (livepatch-<stream>-<N>) and recording both in its .modinfo, so that tsbuild-patch-ctl on the
 * machine replaces the stream's older build with it and keeps other streams apart.
 *
 * Without --replace (the default) the module stacks on the machine's other livepatches, and the
 * loader takes the stream's previous build away once the new one is applied: every function the
 * new build patches switches to it in the new build's transition; what only the old build patched
 * goes back to the kernel's code when it is removed. With --replace the module uses the kernel's
 * atomic replace (one transition, the old build's callbacks never run), which disables every
 * other livepatch too: such a stream must be the only livepatch of its machines.
 */
import { streamModuleName } from '../emit/livepatch-name.js';
import { streamPackageName, type StreamIdentity } from '../kernel/stream-facts.js';
import { readSeries } from '../patches/series.js';
import { runForReleases, type ReleaseOutcome, type ReleasesOptions } from './releases.js';

export interface StreamBuildOptions extends Omit<ReleasesOptions, 'patches' | 'name' | 'stream'> {
  /** A quilt series file, or a directory of patches (readSeries). */
  series: string;
  stream: StreamIdentity;
}

export interface StreamBuild {
  stream: StreamIdentity & {
    /** The module of this build (its file: OUTPUTDIR/<release>/<module>.ko). */
    module: string;
    /** The Debian package `tsbuild-patch package` makes of it. */
    package: string;
    replace: boolean;
    /** The series file read, or the directory whose patches were taken. */
    series: string;
    patches: string[];
  };
  releases: ReleaseOutcome[];
  warnings: string[];
}

/** The unpatch callbacks of a release's build, which a stacking stream runs when its next build takes over. */
function unpatchCallbacks(outcome: ReleaseOutcome): string[] {
  return (outcome.report?.objects ?? []).flatMap((object) =>
    object.callbacks.filter((c) => c.hook.endsWith('unpatch')).map((c) => `${c.function} (${c.hook})`),
  );
}

export async function buildStream(options: StreamBuildOptions): Promise<StreamBuild> {
  const module = streamModuleName(options.stream);
  const series = await readSeries(options.series);
  const releases = await runForReleases({ ...options, patches: series.patches, name: module });
  const warnings: string[] = [];
  const callbacks = [...new Set(releases.flatMap(unpatchCallbacks))];
  if (!options.replace && callbacks.length > 0)
    warnings.push(
      `${module} has unpatch callbacks (${callbacks.join(', ')}): on a machine, the stream's next build takes over first, then this one is removed and these callbacks run, while the next build's code is applied. Make sure they undo nothing it relies on (its shadow variables), or build the stream with --replace (atomic replace: a replaced build's callbacks do not run)`,
    );
  if (options.replace)
    warnings.push(
      `${module} uses atomic replace: loading it disables every other livepatch, so tsbuild-patch-ctl loads it only on machines where every loaded livepatch is of stream ${options.stream.name}`,
    );
  return {
    stream: {
      ...options.stream,
      module,
      package: streamPackageName(options.stream.name),
      replace: options.replace,
      series: series.source,
      patches: series.patches,
    },
    releases,
    warnings,
  };
}
