import { join } from 'node:path';
import { toolVersion } from '../../util/tool-version.js';
import { buildDeb } from './build-deb.js';
import { CTL_PATH, RUNTIME_DIR, TOOLS_PACKAGE, UNIT_PATH } from './layout.js';
import { toolsPostinst, toolsPostrm } from './maintainer-scripts.js';

/** Fixed timestamp of the tools package's entries (2026-12-01): one version, one .deb. */
const TOOLS_EPOCH = 1_796_083_200;

/**
 * tsbuild-patch-tools: the loader and the boot unit, one package that every patch package
 * depends on (two patch packages shipping the same files would conflict in dpkg).
 */
export async function buildToolsPackage(outputDir: string, maintainer: string): Promise<string> {
  return buildDeb(
    {
      control: {
        package: TOOLS_PACKAGE,
        version: toolVersion(),
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
            "tsbuild-patch.service loads the running kernel's installed modules at boot.",
            'Patch packages made by tsbuild-patch depend on this package.',
          ],
        ],
      },
      files: [
        { from: { path: join(RUNTIME_DIR, 'tsbuild-patch-ctl') }, to: CTL_PATH, mode: 0o755 },
        { from: { path: join(RUNTIME_DIR, 'tsbuild-patch.service') }, to: UNIT_PATH, mode: 0o644 },
      ],
      scripts: { postinst: toolsPostinst(), postrm: toolsPostrm() },
      epoch: TOOLS_EPOCH,
    },
    outputDir,
  );
}
