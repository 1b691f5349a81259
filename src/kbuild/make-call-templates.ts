/**
 * Recorded make calls (make-calls.ts) as templates: what changes from one use to the next (the
 * objects asked for, the external module's directory) is taken out and put back, and calls that
 * cannot be made again without the top Makefile are refused with the reason.
 */
import { dirname } from 'node:path';
import type { MakeCall, RecordedCalls } from './make-calls.js';

/** A recorded call with the varying parts as placeholders. */
export interface CallTemplate {
  cwd: string;
  args: string[];
  env: Record<string, string>;
  /** The call ends with the goals, each with this prefix (`./` for kbuild's single targets). */
  goalsPrefix?: string;
}

export interface TemplateInputs {
  /** The goals of the recording; with GOALS_VARY, a call may end with them (they are put back each time). */
  goals: readonly string[];
  goalsVary: boolean;
  /** Paths that change from one use to the next, by name (e.g. MODULE_DIR). */
  parameters: Readonly<Record<string, string>>;
}

const placeholder = (name: string) => `@{${name}}`;

/** Only kbuild's own sub-makefiles can be made without the top Makefile: `-f <tree>/scripts/Makefile.<part>`. */
const SUB_MAKEFILE = /(^|\/)scripts\/Makefile\.\w+$/;

const replaceAll = (text: string, from: string, to: string) => text.split(from).join(to);

function mapStrings(call: MakeCall, map: (text: string) => string): MakeCall {
  return {
    cwd: map(call.cwd),
    args: call.args.map(map),
    env: Object.fromEntries(Object.entries(call.env).map(([name, value]) => [name, map(value)])),
  };
}

/** Why the calls of RECORDED cannot be made again without the top Makefile, or undefined when they can. */
export function unreplayable(recorded: RecordedCalls): string | undefined {
  if (recorded.failure) return recorded.failure;
  if (recorded.calls.length === 0) return 'the top Makefile makes no sub-make';
  for (const call of recorded.calls) {
    const at = call.args.indexOf('-f');
    const makefile = at >= 0 ? call.args[at + 1] : undefined;
    if (!makefile || !SUB_MAKEFILE.test(makefile))
      return `the top Makefile runs more than kbuild's sub-makes: make ${call.args.join(' ')}`;
    if (/jobserver/.test(call.env.MAKEFLAGS ?? '')) return 'a recorded call holds a jobserver';
  }
  return undefined;
}

/**
 * RECORDED's calls as templates, or the reason they cannot be: a goal or parameter that shows
 * anywhere but where it can be put back, or the calls already holding a placeholder.
 */
export function toTemplates(recorded: RecordedCalls, inputs: TemplateInputs): CallTemplate[] | string {
  const refused = unreplayable(recorded);
  if (refused) return refused;
  const params = Object.entries(inputs.parameters);
  const templates: CallTemplate[] = [];
  for (const recordedCall of recorded.calls) {
    if (JSON.stringify(recordedCall).includes('@{')) return 'a recorded call holds "@{"';
    let call = recordedCall;
    for (const [name, value] of params) call = mapStrings(call, (text) => replaceAll(text, value, placeholder(name)));
    for (const [name, value] of params) {
      const parent = dirname(value);
      if (parent.length > 1 && JSON.stringify(call).includes(parent))
        return `the recorded calls name ${parent} other than as ${value} (${name})`;
    }
    let goalsPrefix: string | undefined;
    let args = call.args;
    if (inputs.goalsVary && inputs.goals.length > 0 && args.length > inputs.goals.length) {
      const tail = args.slice(-inputs.goals.length);
      const last = tail[tail.length - 1]!;
      const lastGoal = inputs.goals[inputs.goals.length - 1]!;
      const prefix = last.endsWith(lastGoal) ? last.slice(0, last.length - lastGoal.length) : undefined;
      if (prefix !== undefined && tail.every((arg, i) => arg === prefix + inputs.goals[i])) {
        goalsPrefix = prefix;
        args = args.slice(0, -inputs.goals.length);
      }
    }
    const template: CallTemplate = { ...call, args, ...(goalsPrefix !== undefined ? { goalsPrefix } : {}) };
    if (inputs.goalsVary) {
      const rest = JSON.stringify({ cwd: template.cwd, args: template.args, env: template.env });
      const shown = inputs.goals.find((goal) => rest.includes(goal));
      if (shown) return `the recorded calls name the goal ${shown} where it cannot be replaced`;
    }
    templates.push(template);
  }
  if (inputs.goalsVary && !templates.some((t) => t.goalsPrefix !== undefined))
    return 'no recorded call ends with the goals';
  return templates;
}

/** The calls of TEMPLATES for GOALS and PARAMETERS. */
export function instantiate(
  templates: readonly CallTemplate[],
  goals: readonly string[],
  parameters: Readonly<Record<string, string>>,
): MakeCall[] {
  return templates.map((template) => {
    const call = mapStrings(template, (text) =>
      Object.entries(parameters).reduce((out, [name, value]) => replaceAll(out, placeholder(name), value), text),
    );
    if (template.goalsPrefix !== undefined) call.args.push(...goals.map((goal) => template.goalsPrefix + goal));
    return call;
  });
}
