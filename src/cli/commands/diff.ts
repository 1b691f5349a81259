import type { CommandModule } from 'yargs';
import { diffObjects } from '../../diff/diff-objects.js';
import { entrySizesFromFacts, parseEntrySizeOptions, type EntrySizeInput } from '../../diff/resolved-entry-sizes.js';
import { writePatchObject } from '../../diff/output.js';
import { diffReport, EXIT_STATUS, formatReport } from '../../diff/report.js';
import { entrySizesFromKernel } from '../../kernel/facts/measured-entry-sizes.js';
import { printJson, withEnvelope } from '../../report/envelope.js';
import { stderrLogger } from '../../util/log.js';
import { exitStatusHelp } from '../../util/outcomes.js';

interface Args {
  original: string;
  patched: string;
  output: string;
  parent?: string;
  'entry-size'?: string[];
  'entry-sizes-from'?: string;
  json: boolean;
}

export const diffCommand: CommandModule<object, Args> = {
  command: 'diff <original> <patched>',
  describe:
    'Compare an original and a patched kernel object (-ffunction-sections -fdata-sections) and write the patch object',
  builder: (y) =>
    y
      .positional('original', {
        type: 'string',
        demandOption: true,
        describe: 'the object as built from the unpatched source',
      })
      .positional('patched', {
        type: 'string',
        demandOption: true,
        describe: 'the same object built from the patched source',
      })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'where to write the patch object' })
      .option('parent', {
        type: 'string',
        describe:
          'ELF whose symbols the patch targets: vmlinux or a module .ko (default: the original object, taken as part of vmlinux)',
      })
      .option('entry-size', {
        type: 'string',
        array: true,
        describe:
          'SECTION=BYTES: size of one entry of a special section (e.g. __bug_table=12); wins over --entry-sizes-from; defaults: x86_64 Linux 6.1',
      })
      .option('entry-sizes-from', {
        type: 'string',
        describe:
          "VMLINUX: take the entry sizes of special sections from this kernel's DWARF (needs pahole; cached by build-id)",
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' })
      .epilogue(exitStatusHelp('diff')),
  handler: async (args) => {
    const entrySizes = new Map<string, EntrySizeInput>();
    const vmlinux = args['entry-sizes-from'];
    if (vmlinux !== undefined) {
      for (const [section, size] of entrySizesFromFacts(await entrySizesFromKernel(vmlinux, stderrLogger)))
        entrySizes.set(section, size);
    }
    for (const [section, size] of parseEntrySizeOptions(args['entry-size'] ?? [])) entrySizes.set(section, size);
    const result = diffObjects({
      original: args.original,
      patched: args.patched,
      ...(args.parent !== undefined ? { parent: args.parent } : {}),
      entrySizes,
    });
    if (result.outcome === 'changed') writePatchObject(result.patched, args.output);
    const report = diffReport(result, result.outcome === 'changed' ? args.output : undefined);
    if (args.json) printJson(withEnvelope(result.outcome, report));
    else process.stdout.write(formatReport(report));
    process.exitCode = EXIT_STATUS[result.outcome];
  },
};
