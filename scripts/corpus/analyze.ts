// What a per-file change touches: the functions its changed lines fall in (both sides), new
// functions, top-level data, init code; and the class the corpus files it under.
import { functionAt, isInitText, scanFunctions } from './c-functions.js';

export type ChangeClass = 'bodies' | 'new-functions' | 'data' | 'init' | 'headers';

export interface Analysis {
  functions: string[];
  newFunctions: string[];
  initFunctions: string[];
  /** Changed top-level lines that are not in a function, not comments or preprocessor lines. */
  topLevel: string[];
  commentsOnly: boolean;
  class: ChangeClass;
}

/** Changed line numbers of a unified diff (-U0 or more): removed (old side), added (new side). */
export function changedLines(diff: string): { removed: Array<[number, string]>; added: Array<[number, string]> } {
  const removed: Array<[number, string]> = [];
  const added: Array<[number, string]> = [];
  let oldLine = 0;
  let newLine = 0;
  for (const line of diff.split('\n')) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      continue;
    }
    if (line.startsWith('---') || line.startsWith('+++')) continue;
    if (line.startsWith('-')) removed.push([oldLine++, line.slice(1)]);
    else if (line.startsWith('+')) added.push([newLine++, line.slice(1)]);
    else if (line.startsWith(' ')) {
      oldLine++;
      newLine++;
    }
  }
  return { removed, added };
}

const trivial = (text: string) => {
  const t = text.trim();
  return t === '' || t.startsWith('//') || t.startsWith('/*') || t.startsWith('*') || t.endsWith('*/');
};
const preprocessorOrPrototype = (text: string) => {
  const t = text.trim();
  return t.startsWith('#') || /\)\s*;$/.test(t) || /^[{}]?;?$/.test(t);
};

/** Line numbers (1-based) that belong to a preprocessor directive, continuation lines included. */
function directiveLines(text: string): Set<number> {
  const lines = text.split('\n');
  const set = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*#/.test(lines[i]!)) continue;
    set.add(i + 1);
    while (/\\\s*$/.test(lines[i]!) && i + 1 < lines.length) set.add(++i + 1);
  }
  return set;
}

export function analyze(oldText: string, newText: string, diff: string): Analysis {
  const oldFns = scanFunctions(oldText);
  const newFns = scanFunctions(newText);
  const directives = { old: directiveLines(oldText), new: directiveLines(newText) };
  const oldNames = new Set(oldFns.map((f) => f.name));
  const { removed, added } = changedLines(diff);
  const functions = new Set<string>();
  const newFunctions = new Set<string>();
  const initFunctions = new Set<string>();
  const topLevel: string[] = [];
  let substantive = false;
  const visit = (fns: typeof oldFns, [line, text]: [number, string], side: 'old' | 'new') => {
    if (!trivial(text)) substantive = true;
    const fn = functionAt(fns, line);
    if (fn) {
      if (trivial(text)) return;
      if (side === 'new' && !oldNames.has(fn.name)) newFunctions.add(fn.name);
      else functions.add(fn.name);
      if (fn.init) initFunctions.add(fn.name);
    } else if (!trivial(text) && !preprocessorOrPrototype(text) && !directives[side].has(line)) {
      topLevel.push(text.trim());
    }
  };
  for (const change of removed) visit(oldFns, change, 'old');
  for (const change of added) visit(newFns, change, 'new');
  const initData = topLevel.some(isInitText);
  const cls: ChangeClass =
    initFunctions.size > 0 || initData
      ? 'init'
      : topLevel.length > 0
        ? 'data'
        : newFunctions.size > 0
          ? 'new-functions'
          : 'bodies';
  return {
    functions: [...functions].sort(),
    newFunctions: [...newFunctions].sort(),
    initFunctions: [...initFunctions].sort(),
    topLevel,
    commentsOnly: !substantive,
    class: cls,
  };
}
