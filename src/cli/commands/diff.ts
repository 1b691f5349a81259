import type { CommandModule } from 'yargs';
import { diffObjects } from '../../diff/diff-objects.js';
import { LINE_NUMBER_MODES, type LineNumbers } from '../../diff/line-drift.js';
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
  'line-numbers': LineNumbers;
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
      .option('line-numbers', {
        choices: LINE_NUMBER_MODES,
        default: 'guessed' as LineNumbers,
        describe:
          "how the objects were built. 'kept': the patched object's build kept every unchanged line's number " +
          "(#line directives after each change, as the tool's own build does), so every difference is a change. " +
          "'guessed' (objects built without, e.g. by kpatch-build or by hand): a changed constant loaded for a " +
          'call to printk, WARN, might_sleep and the like is taken for a line number shifted by added or ' +
          'removed lines, as kpatch-build takes it, and its function counts as unchanged (a note names it). ' +
          'Blind spot of the guess: a changed constant passed to printk/WARN (pr_info("%d", 1) -> 2) is taken ' +
          'for a line-number change and not patched',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' })
      .example('$0 diff orig.o patched.o -o out.o', 'objects built elsewhere: line-number drift guessed at')
      .example(
        '$0 diff orig.o patched.o -o out.o --line-numbers kept',
        'objects whose patched build kept line numbers: every difference is a change',
      )
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
      lineNumbers: args['line-numbers'],
    });
    if (result.outcome === 'changed') writePatchObject(result.patched, args.output);
    const report = diffReport(result, result.outcome === 'changed' ? args.output : undefined);
    if (args.json) printJson(withEnvelope(result.outcome, report));
    else process.stdout.write(formatReport(report));
    process.exitCode = EXIT_STATUS[result.outcome];
  },
};
