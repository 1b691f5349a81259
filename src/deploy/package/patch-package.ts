import { stat } from 'node:fs/promises';
import { toolVersion } from '../../util/tool-version.js';
import { UserError } from '../../util/errors.js';
import { buildDeb } from './build-deb.js';
import { DESCRIPTION_WIDTH, SYNOPSIS_WIDTH } from './control.js';
import { docFiles, fill, GPL_2, yearOf } from './doc-files.js';
import { checkPackageName, checkVersion, packageNameFromModule } from './debian-names.js';
import { streamPackageName, type StreamIdentity } from '../../kernel/stream-facts.js';
import { MODULES_FIELD, PACKAGE_ROOT, STREAM_FIELD, STREAM_VERSION_FIELD, TOOLS_PACKAGE } from './layout.js';
import { patchPostinst, patchPrerm } from './maintainer-scripts.js';
import { DEFAULT_MAINTAINER, resolveMaintainer } from './maintainer.js';
import { readLivepatchModule, type LivepatchModuleFacts } from './module-facts.js';
import { packageStream } from './package-stream.js';

export interface PatchPackageOptions {
  modules: readonly string[];
  name?: string;
  /** The Debian version; default for a stream's build: the stream's version. */
  version?: string;
  /** "Name <email>"; default: DEBFULLNAME/DEBEMAIL (or NAME/EMAIL) as for dch, else DEFAULT_MAINTAINER. */
  maintainer?: string;
  /** Where the default maintainer comes from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  outputDir: string;
  /** A one-line summary; default: from the modules' descriptions. */
  summary?: string;
}

export interface PatchPackage {
  path: string;
  name: string;
  version: string;
  /** The Maintainer field written (the tools package takes the same). */
  maintainer: string;
  modules: LivepatchModuleFacts[];
  /** The stream the modules are a build of, if any. */
  stream: StreamIdentity | undefined;
  warnings: string[];
}

/** The patch names a module was built from, as its .modinfo description says ("... from a.patch, b.patch"). */
export function patchNames(module: LivepatchModuleFacts): string[] {
  const match = /\bfrom (.+)$/.exec(module.description ?? '');
  return match ? match[1]!.split(/,\s*/).filter(Boolean) : [];
}

/** Verbatim description lines (leading space) of one module; long function lists are filled. */
function describeModule(module: LivepatchModuleFacts): string[] {
  const replace = module.replace === true ? ', atomic replace' : module.replace === false ? ', no atomic replace' : '';
  return [
    `  ${module.release}: ${module.name}${replace}`,
    ...module.objects.flatMap((o) => {
      const functions =
        o.functions.map((f) => (f.sympos > 1 ? `${f.name} (#${f.sympos})` : f.name)).join(', ') || '(callbacks only)';
      const head = `    ${o.object}: `;
      // With the description's leading space, each line stays within DESCRIPTION_WIDTH.
      return fill(functions, DESCRIPTION_WIDTH - 1 - head.length).map((l, i) =>
        i === 0 ? `${head}${l}` : `${' '.repeat(head.length)}${l}`,
      );
    }),
  ];
}

/** The synopsis: the patches and releases, or their numbers when that runs over one line. */
function synopsis(name: string, patches: string[], releases: string[]): string {
  const what = patches.length > 0 ? patches.join(', ') : name;
  const full = `livepatch ${what} for Linux ${releases.join(', ')}`;
  if (full.length <= SYNOPSIS_WIDTH) return full;
  const short = `livepatch ${what} for ${releases.length} Linux kernel release${releases.length > 1 ? 's' : ''}`;
  return short.length <= SYNOPSIS_WIDTH ? short : `livepatch ${name} for ${releases.length} kernel releases`;
}

/**
 * One Debian package for the modules of one patch, one module per kernel release. The
 * modules' facts (release, functions) come from their ELF files, not from the caller.
 */
export async function buildPatchPackage(options: PatchPackageOptions): Promise<PatchPackage> {
  if (options.modules.length === 0) throw new UserError('no modules to package');
  const modules = await Promise.all(options.modules.map((m) => readLivepatchModule(m)));
  const byRelease = new Map<string, LivepatchModuleFacts>();
  for (const module of modules) {
    const other = byRelease.get(module.release);
    if (other)
      throw new UserError(`two modules for kernel ${module.release}: ${other.path} and ${module.path}`, {
        hint: 'a package carries one module per kernel release',
      });
    byRelease.set(module.release, module);
  }
  const stream = packageStream(modules);
  const warnings: string[] = [];
  for (const module of modules) {
    if (module.replace !== false && !stream)
      warnings.push(
        `${module.path}: uses atomic replace outside a stream: tsbuild-patch-ctl loads it only where no other livepatch is loaded, and refuses a newer version of it while it is (build versions that replace each other as a stream: tsbuild-patch stream)`,
      );
    if (module.objects.length === 0)
      warnings.push(`${module.path}: no patched functions found in its klp_object array`);
  }
  const name = checkPackageName(
    options.name ?? (stream ? streamPackageName(stream.name) : packageNameFromModule(modules[0]!.name)),
  );
  if (options.version === undefined && !stream)
    throw new UserError('--package-version is needed: the modules are not a build of a stream', {
      hint: "a stream's build takes its version from the modules (tsbuild-patch stream --stream-version)",
    });
  const version = checkVersion(options.version ?? String(stream!.version));
  const releases = [...byRelease.keys()].sort();
  const patches = [...new Set(modules.flatMap(patchNames))];
  const functions = [...new Set(modules.flatMap((m) => m.objects.flatMap((o) => o.functions.map((f) => f.name))))];
  const summary = options.summary ?? synopsis(name, patches, releases);
  const maintainer = resolveMaintainer(options.maintainer, options.env ?? process.env);
  if (maintainer.source === 'default')
    warnings.push(
      `no --maintainer, DEBFULLNAME or DEBEMAIL: the Maintainer is ${DEFAULT_MAINTAINER}, an address that reaches nobody`,
    );
  // The newest module's time: packaging the same modules again makes the same .deb.
  const epoch = Math.max(...(await Promise.all(modules.map(async (m) => (await stat(m.path)).mtimeMs / 1000))));
  const from = patches.length > 0 ? patches.join(', ') : '(patch names not recorded)';
  const path = await buildDeb(
    {
      control: {
        package: name,
        version,
        architecture: 'amd64',
        maintainer: maintainer.value,
        depends: [`${TOOLS_PACKAGE} (>= ${toolVersion()})`, 'kmod'],
        section: 'kernel',
        priority: 'optional',
        extra: {
          'X-Kernel-Releases': releases.join(' '),
          [MODULES_FIELD]: [...new Set(modules.map((m) => m.name))].join(' '),
          'X-Livepatch-Functions': functions.join(' '),
          ...(stream ? { [STREAM_FIELD]: stream.name, [STREAM_VERSION_FIELD]: String(stream.version) } : {}),
        },
        synopsis: summary,
        description: [
          [
            `Livepatch modules built by tsbuild-patch from: ${patches.length > 0 ? patches.join(', ') : '(patch names not recorded)'}.`,
          ],
          ['Kernel releases and patched functions:', ...releases.flatMap((r) => describeModule(byRelease.get(r)!))],
          stream
            ? [
                `Version ${stream.version} of the livepatch stream ${stream.name}: installing the package loads`,
                "the running kernel's module, which takes over from the stream's earlier version; that one",
                'is kept for tsbuild-patch-ctl rollback. tsbuild-patch.service loads it at every boot.',
                'Removing the package unloads it. See tsbuild-patch-ctl list.',
              ]
            : [
                'Installing the package loads the module of the running kernel (an earlier version of',
                'the package is unloaded once it is applied) and tsbuild-patch.service loads it at every',
                'boot. Removing the package unloads it. See tsbuild-patch-ctl list.',
              ],
        ],
      },
      files: [
        ...modules.map((m) => ({
          from: { path: m.path },
          to: `${PACKAGE_ROOT}/${name}/${m.release}/${m.name}.ko`,
          mode: 0o644,
        })),
        ...docFiles(
          name,
          {
            upstreamName: 'Linux',
            comment:
              `Livepatch modules for Linux ${releases.join(', ')} built by tsbuild-patch ${toolVersion()} ` +
              `from ${from}: code of the Linux kernel as the patches change it, and the livepatch glue ` +
              `tsbuild-patch generates (licensed as the kernel).`,
            // The kernel's authors since its first year; the patches' as of the build (the modules' time).
            copyright: [`1991-${yearOf(epoch)} The Linux kernel authors`, `${yearOf(epoch)} The authors of ${from}`],
            license: GPL_2,
          },
          {
            version,
            maintainer: maintainer.value,
            changes: [
              `Livepatch modules for Linux ${releases.join(', ')} built by tsbuild-patch ${toolVersion()} from ${from}.`,
              `Patched functions: ${functions.join(', ') || '(none found)'}.`,
            ],
            epoch,
          },
        ),
      ],
      scripts: { postinst: patchPostinst(name), prerm: patchPrerm(name, stream?.name) },
      epoch,
    },
    options.outputDir,
  );
  return { path, name, version, maintainer: maintainer.value, modules, stream, warnings };
}
