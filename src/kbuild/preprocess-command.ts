/**
 * The preprocessor's command for an object, made from the compile command kbuild recorded for it
 * (recorded-compile.ts reads the record): the same compiler, flags, working directory and source,
 * so the text it writes is the text the compiler proper would read, `-c -o <object>` replaced by
 * `-E -o <output>`. What kbuild runs after the compile (objtool, a single-file module's link) is
 * left out, and so is the dependency file (`-Wp,-MMD,<file>`): kbuild's fixdep folds it into the
 * object's `.cmd` record, and nothing may touch that record or the object here.
 */
import { shellQuote } from './make.js';

/**
 * The first command of a shell command line: up to the first `;`, `&` or `|` outside quotes
 * (kbuild joins the compile and its post-steps with ` ; `).
 */
export function firstCommand(commandLine: string): string {
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < commandLine.length; i++) {
    const c = commandLine[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      i++; // the next character is taken as it is (also inside double quotes)
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === ';' || c === '&' || c === '|') {
      return commandLine.slice(0, i);
    }
  }
  return commandLine;
}

/** Dependency-file options of gcc: `-Wp,-MD,<file>`, `-Wp,-MMD,<file>`, `-MD`, `-MMD`, `-MF <file>`. */
const DEPENDENCY_OPTIONS = [/(^|\s)-Wp,-M{1,2}D,\S+/g, /(^|\s)-M{1,2}D(?=\s|$)/g, /(^|\s)-MF\s*\S+/g];

/**
 * The command that preprocesses OBJECT (a path relative to the tree, as kbuild wrote it) into
 * OUTPUT, from COMMAND, its recorded compile command with make's escapes undone
 * (recordedCommand). Undefined when the command is not kbuild's `<cc> <flags> -c -o <object>
 * <source>`, or still names a dependency output after those above are removed: the object is
 * then not preprocessed (and so compiled, as without this).
 */
export function preprocessCommand(command: string, object: string, output: string): string | undefined {
  let compile = firstCommand(command);
  const target = ` -c -o ${object} `;
  const at = compile.indexOf(target);
  if (at < 0 || compile.indexOf(target, at + 1) >= 0) return undefined;
  compile = `${compile.slice(0, at)} -E -o ${shellQuote(output)} ${compile.slice(at + target.length)}`;
  for (const option of DEPENDENCY_OPTIONS) compile = compile.replace(option, '$1');
  if (/(^|\s)(-Wp,)?-M/.test(compile)) return undefined;
  return compile.trim();
}
