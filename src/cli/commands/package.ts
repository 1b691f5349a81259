import type { CommandModule } from 'yargs';
import { buildPatchPackage } from '../../deploy/package/patch-package.js';
import { DEFAULT_MAINTAINER } from '../../deploy/package/maintainer.js';
import { buildToolsPackage } from '../../deploy/package/tools-package.js';
import { stderrLogger } from '../../util/log.js';
import { exitStatusHelp } from '../../util/outcomes.js';
import { printJson, withEnvelope } from '../../report/envelope.js';

interface Args {
  modules: string[];
  name?: string;
  'package-version'?: string;
  maintainer?: string;
  output: string;
  summary?: string;
  tools: boolean;
  json: boolean;
}

export const packageCommand: CommandModule<object, Args> = {
  command: 'package <modules..>',
  describe:
    'Make a Debian package of the livepatch modules of one patch or one build of a stream (one module per kernel release), and the tsbuild-patch-tools package it depends on',
  builder: (y) =>
    y
      .positional('modules', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'livepatch .ko files, one per kernel release',
      })
      .option('name', {
        type: 'string',
        describe:
          "package name (default: a stream's build, livepatch-<stream>; else the module name without its version suffix, dashes for underscores)",
      })
      .option('package-version', {
        type: 'string',
        alias: 'V',
        describe:
          "Debian version of the package, e.g. 1 or 1.1 (default for a stream's build: the stream's version; needed otherwise); a newer version replaces the loaded patch when installed",
      })
      .option('maintainer', {
        type: 'string',
        describe: `Maintainer field: "Name <email>" (default: DEBFULLNAME and DEBEMAIL, as for dch; else ${DEFAULT_MAINTAINER})`,
      })
      .option('summary', {
        type: 'string',
        describe: 'one-line description (default: the patch names and kernel releases)',
      })
      .option('output', { type: 'string', alias: 'o', default: '.', describe: 'directory for the .deb files' })
      .option('tools', {
        type: 'boolean',
        default: true,
        describe: 'also write the tsbuild-patch-tools package (--no-tools: only the patch package)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
      .epilogue(exitStatusHelp('package')),
  handler: async (args) => {
    const built = await buildPatchPackage({
      modules: args.modules,
      ...(args.name ? { name: args.name } : {}),
      ...(args['package-version'] ? { version: args['package-version'] } : {}),
      ...(args.maintainer ? { maintainer: args.maintainer } : {}),
      outputDir: args.output,
      ...(args.summary ? { summary: args.summary } : {}),
    });
    for (const warning of built.warnings) stderrLogger(`warning: ${warning}`);
    const tools = args.tools ? await buildToolsPackage(args.output, built.maintainer) : undefined;
    if (args.json) {
      const modules = built.modules.map((m) => ({
        path: m.path,
        name: m.name,
        release: m.release,
        replace: m.replace,
        objects: m.objects,
      }));
      printJson(
        withEnvelope('done', {
          package: {
            path: built.path,
            name: built.name,
            version: built.version,
            stream: built.stream ?? null,
            modules,
          },
          tools: tools ?? null,
          warnings: built.warnings,
        }),
      );
      return;
    }
    process.stdout.write(`${built.path}\n`);
    for (const m of built.modules)
      process.stdout.write(
        `  ${m.release}: ${m.name} (${m.objects.flatMap((o) => o.functions.map((f) => f.name)).join(', ')})\n`,
      );
    if (tools) process.stdout.write(`${tools}\n`);
  },
};
