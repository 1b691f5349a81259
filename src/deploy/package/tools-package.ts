import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toolVersion } from '../../util/tool-version.js';
import { buildDeb } from './build-deb.js';
import { docFiles, gzip9n, GPL_2, yearOf } from './doc-files.js';
import {
  BASH_COMPLETION_PATH,
  CTL_MAN_PAGE,
  CTL_MAN_PATH,
  CRASH_GUARD_UNITS,
  CTL_PARTS_DIR,
  CTL_PATH,
  RUNTIME_DIR,
  SYSTEMD_UNIT_DIR,
  TOOLS_PACKAGE,
  UNIT_PATH,
} from './layout.js';
import { toolsPostinst, toolsPostrm } from './maintainer-scripts.js';
import { resolveMaintainer } from './maintainer.js';

/** Fixed timestamp of the tools package's entries (2026-12-01): one version, one .deb. */
const TOOLS_EPOCH = 1_796_083_200;

/** The loader's parts, which its entry script sources: every runtime/ctl/*.sh, sorted. */
async function ctlParts(): Promise<string[]> {
  return (await readdir(join(RUNTIME_DIR, 'ctl'))).filter((name) => name.endsWith('.sh')).sort();
}

/**
 * tsbuild-patch-tools: the loader and the boot unit, one package that every patch package
 * depends on (two patch packages shipping the same files would conflict in dpkg).
 */
export async function buildToolsPackage(
  outputDir: string,
  maintainerOption?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const maintainer = resolveMaintainer(maintainerOption, env).value;
  const version = toolVersion();
  return buildDeb(
    {
      control: {
        package: TOOLS_PACKAGE,
        version,
        architecture: 'all',
        maintainer,
        depends: ['kmod'],
        section: 'admin',
        priority: 'optional',
        synopsis: 'load, list and unload livepatch modules; load the installed ones at boot',
        description: [
          [
            'tsbuild-patch-ctl loads livepatch modules (waiting for the transition, showing the tasks',
            'that block it, offering the livepatch signal), unloads them, lists the loaded and',
            'installed ones, and keeps a store of modules per kernel release in /var/lib/tsbuild-patch.',
          ],
          [
            "tsbuild-patch.service loads the running kernel's installed modules at boot, except",
            'those that were loaded when the machine last went down without a clean shutdown',
            'and had not run long enough to count as good (the crash guard).',
            'Patch packages made by tsbuild-patch depend on this package.',
          ],
        ],
      },
      files: [
        { from: { path: join(RUNTIME_DIR, 'tsbuild-patch-ctl') }, to: CTL_PATH, mode: 0o755 },
        ...(await ctlParts()).map((part) => ({
          from: { path: join(RUNTIME_DIR, 'ctl', part) },
          to: `${CTL_PARTS_DIR}/${part}`,
          mode: 0o644,
        })),
        { from: { path: join(RUNTIME_DIR, 'tsbuild-patch.service') }, to: UNIT_PATH, mode: 0o644 },
        ...CRASH_GUARD_UNITS.map((unit) => ({
          from: { path: join(RUNTIME_DIR, unit) },
          to: `${SYSTEMD_UNIT_DIR}/${unit}`,
          mode: 0o644,
        })),
        {
          from: { content: gzip9n(await readFile(join(RUNTIME_DIR, CTL_MAN_PAGE))) },
          to: CTL_MAN_PATH,
          mode: 0o644,
        },
        {
          from: { path: join(RUNTIME_DIR, 'tsbuild-patch-ctl.bash-completion') },
          to: BASH_COMPLETION_PATH,
          mode: 0o644,
        },
        ...docFiles(
          TOOLS_PACKAGE,
          {
            upstreamName: 'tsbuild-patch',
            comment: `tsbuild-patch-ctl and its parts, its manual page and bash completion, and tsbuild-patch.service with the crash guard's units: the part of tsbuild-patch ${version} that runs on the patched machines.`,
            copyright: [`${yearOf(TOOLS_EPOCH)} The tsbuild-patch authors`],
            license: GPL_2,
          },
          {
            version,
            maintainer,
            changes: [`tsbuild-patch-ctl and tsbuild-patch.service of tsbuild-patch ${version}.`],
            epoch: TOOLS_EPOCH,
          },
        ),
      ],
      scripts: { postinst: toolsPostinst(), postrm: toolsPostrm() },
      epoch: TOOLS_EPOCH,
    },
    outputDir,
  );
}
