import type { CommandModule } from 'yargs';
import { describeGroups, describeRelocations, describeSections, describeSymbols } from '../../elf/dump/describe.js';
import { decodeAll, readElf } from '../../elf/index.js';
import { exitStatusHelp } from '../../util/outcomes.js';

interface Args {
  file: string;
  sections: boolean;
  symbols: boolean;
  relocations: boolean;
  groups: boolean;
}

export const elfDumpCommand: CommandModule<object, Args> = {
  command: 'elf-dump <file>',
  describe: 'Show how the ELF model reads a file: sections, symbols, relocations, groups (default: a summary)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'ELF64 x86_64 object, module or vmlinux' })
      .option('sections', { type: 'boolean', default: false, alias: 'S', describe: 'list the sections' })
      .option('symbols', { type: 'boolean', default: false, alias: 's', describe: 'list the symbols' })
      .option('relocations', { type: 'boolean', default: false, alias: 'r', describe: 'list the relocations' })
      .option('groups', { type: 'boolean', default: false, alias: 'g', describe: 'list the section groups (COMDAT)' })
      .epilogue(exitStatusHelp('elf-dump')),
  handler: async (args) => {
    const file = await readElf(args.file);
    const lines: string[] = [];
    if (args.sections) lines.push(...describeSections(file));
    if (args.symbols) lines.push(...describeSymbols(file));
    if (args.relocations) lines.push(...describeRelocations(file));
    if (args.groups) lines.push(...describeGroups(file));
    if (lines.length === 0) {
      const counts = decodeAll(file);
      lines.push(
        `${args.file}: ${counts.sections} sections, ${counts.symbols} symbols, ${counts.relocations} relocations, ${counts.groups} groups`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
