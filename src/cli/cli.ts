import { existsSync } from 'node:fs';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { commands } from './commands/index.js';
import { toolVersion } from '../util/tool-version.js';
import { UsageError } from '../util/errors.js';
import { printJson } from '../report/envelope.js';
import { failureReport } from '../report/failure-report.js';

export interface CliOptions {
  /**
   * Instead of running the command the line names, hand its parsed arguments here (tests: a
   * command line parsed exactly as the tool parses it, nothing run).
   */
  parsedOnly?: (command: string, args: Record<string, unknown>) => void;
}

/** The words that name a command (the main job, `$0 <patches..>`, has none). */
export const COMMAND_NAMES: readonly string[] = commands
  .map((command) => String(command.command ?? '').split(' ')[0]!)
  .filter((name) => name && name !== '$0');

/**
 * The tool's command line: every command, strict options, and a line it does not take reported
 * as a UsageError (outcome usage) before anything runs.
 */
export function createCli(argv: string[], options: CliOptions = {}): Argv {
  const cli = yargs(argv)
    .scriptName('tsbuild-patch')
    .usage('$0 <command> [options]\n\nBuild Linux livepatch modules from source patches.')
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    // Shell completion (yargs'): `tsbuild-patch completion` prints a bash script that asks the
    // tool itself for the words; install-deps.sh installs it for bash-completion.
    .completion('completion', 'Print the bash completion script of tsbuild-patch (commands, options, files)')
    .help()
    .alias('h', 'help')
    .version(toolVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .check((argv) => {
      // The main job takes any word as a patch: one that is no file but nearly a command's name
      // is a mistyped command (`pakage x.ko`), told before anything runs.
      if (argv._.length === 0 && Array.isArray(argv.patches)) checkNotMistypedCommand(String(argv.patches[0]));
      return true;
    })
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  const parsedOnly = options.parsedOnly;
  for (const command of commands) {
    const name = String(command.command ?? '').split(' ')[0]!;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const module: CommandModule<any, any> = parsedOnly
      ? { ...command, handler: (args: Record<string, unknown>) => parsedOnly(name, args) }
      : { ...command, handler: withJsonFailure(command.handler) };
    cli.command(module);
  }
  return cli;
}

/**
 * A command's handler whose failure, with --json, also prints the failure report (schemas/failure):
 * every --json run ends with one JSON document on stdout, with its outcome and exit code.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function withJsonFailure(handler: (args: any) => unknown): (args: Record<string, unknown>) => Promise<void> {
  return async (args) => {
    try {
      await handler(args);
    } catch (error) {
      if (args.json) printJson(failureReport(error));
      throw error;
    }
  };
}

/** The command WORD nearly names, when it is no file: a mistyped command, refused as such. */
export function checkNotMistypedCommand(word: string): void {
  if (existsSync(word) || /[./]/.test(word)) return;
  const near = closestCommand(word);
  if (near) throw new UsageError(`unknown command '${word}' (and no patch file of that name): did you mean ${near}?`);
}

/** The command name closest to WORD, when it is close: at most one edit in three letters. */
export function closestCommand(word: string): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of COMMAND_NAMES) {
    const distance = editDistance(word.toLowerCase(), name);
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
