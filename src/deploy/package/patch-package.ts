import { stat } from 'node:fs/promises';
import { toolVersion } from '../../util/tool-version.js';
import { UserError } from '../../util/errors.js';
import { buildDeb } from './build-deb.js';
import { checkPackageName, checkVersion, packageNameFromModule } from './debian-names.js';
import { MODULES_FIELD, PACKAGE_ROOT, TOOLS_PACKAGE } from './layout.js';
import { patchPostinst, patchPrerm } from './maintainer-scripts.js';
import { readLivepatchModule, type LivepatchModuleFacts } from './module-facts.js';

export interface PatchPackageOptions {
  modules: readonly string[];
  name?: string;
  version: string;
  maintainer: string;
  outputDir: string;
  /** A one-line summary; default: from the modules' descriptions. */
  summary?: string;
}

export interface PatchPackage {
  path: string;
  name: string;
  version: string;
  modules: LivepatchModuleFacts[];
  warnings: string[];
}

/** The patch names a module was built from, as its .modinfo description says ("... from a.patch, b.patch"). */
export function patchNames(module: LivepatchModuleFacts): string[] {
  const match = /\bfrom (.+)$/.exec(module.description ?? '');
  return match ? match[1]!.split(/,\s*/).filter(Boolean) : [];
}

function describeModule(module: LivepatchModuleFacts): string[] {
  const replace = module.replace === true ? ', atomic replace' : module.replace === false ? ', no atomic replace' : '';
  return [
    `  ${module.release}: ${module.name}${replace}`,
    ...module.objects.map(
      (o) =>
        `    ${o.object}: ${o.functions.map((f) => (f.sympos > 1 ? `${f.name} (#${f.sympos})` : f.name)).join(', ') || '(callbacks only)'}`,
    ),
  ];
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
  const warnings: string[] = [];
  for (const module of modules) {
    if (module.replace === false)
      warnings.push(
        `${module.path}: built without atomic replace (--no-replace): a newer version will be loaded beside it, not instead of it`,
      );
    if (module.objects.length === 0)
      warnings.push(`${module.path}: no patched functions found in its klp_object array`);
  }
  const name = checkPackageName(options.name ?? packageNameFromModule(modules[0]!.name));
  const version = checkVersion(options.version);
  const releases = [...byRelease.keys()].sort();
  const patches = [...new Set(modules.flatMap(patchNames))];
  const functions = [...new Set(modules.flatMap((m) => m.objects.flatMap((o) => o.functions.map((f) => f.name))))];
  const summary =
    options.summary ?? `livepatch ${patches.length > 0 ? patches.join(', ') : name} for Linux ${releases.join(', ')}`;
  const path = await buildDeb(
    {
      control: {
        package: name,
        version,
        architecture: 'amd64',
        maintainer: options.maintainer,
        depends: [`${TOOLS_PACKAGE} (>= ${toolVersion()})`, 'kmod'],
        section: 'kernel',
        priority: 'optional',
        extra: {
          'X-Kernel-Releases': releases.join(' '),
          [MODULES_FIELD]: [...new Set(modules.map((m) => m.name))].join(' '),
          'X-Livepatch-Functions': functions.join(' '),
        },
        synopsis: summary,
        description: [
          [
            `Livepatch modules built by tsbuild-patch from: ${patches.length > 0 ? patches.join(', ') : '(patch names not recorded)'}.`,
          ],
          ['Kernel releases and patched functions:', ...releases.flatMap((r) => describeModule(byRelease.get(r)!))],
          [
            'Installing the package loads the module of the running kernel (replacing an earlier',
            'version of the patch atomically) and tsbuild-patch.service loads it at every boot.',
            'Removing the package unloads it. See tsbuild-patch-ctl list.',
          ],
        ],
      },
      files: modules.map((m) => ({
        from: { path: m.path },
        to: `${PACKAGE_ROOT}/${name}/${m.release}/${m.name}.ko`,
        mode: 0o644,
      })),
      scripts: { postinst: patchPostinst(name), prerm: patchPrerm(name) },
      // The newest module's time: packaging the same modules again makes the same .deb.
      epoch: Math.max(...(await Promise.all(modules.map(async (m) => (await stat(m.path)).mtimeMs / 1000)))),
    },
    options.outputDir,
  );
  return { path, name, version, modules, warnings };
}
