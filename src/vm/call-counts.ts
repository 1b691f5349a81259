/**
 * Counting the calls of a livepatch's replacement functions in the guest while it is applied:
 * the guest helpers klp_count_start / klp_count_stop (part of /lib/tsbp.sh) put a kprobe event
 * on the livepatch module's own copy of each function (PATCH:SYMBOL; tracefs, which the guest's
 * init mounts at /sys/kernel/tracing) and read its hits from kprobe_profile. A kernel without
 * kprobe events (CONFIG_KPROBE_EVENTS: the test kernel) gives "not measured", never a count.
 *
 * The guest writes one record per function to CALLS_FILE, sent back as the CALLS payload:
 *
 *   WINDOW PATCH OBJECT FUNCTION SYMPOS SYMBOL COUNT [WHY...]
 *
 * WINDOW numbers the klp_count_start calls of a boot; COUNT is the calls, or "-" with WHY when
 * they could not be counted; SYMBOL is "-" when the module has no symbol of its own for the
 * function.
 */
import type { PatchedObject } from '../kernel/livepatch-functions.js';
import { exerciseVerdict, type FunctionCalls, type ModuleExercise } from '../report/exercise.js';

/** Where the guest keeps the records, and the payload that carries them to the host. */
export const CALLS_FILE = '/tmp/tsbp-calls';
export const CALLS_TAG = 'CALLS';

/** The helpers of the guest library (sourced by busybox sh; the paths can be set, for tests). */
export const CALL_COUNT_LIBRARY = `# klp_count_start PATCH [OBJECT/FUNCTION,SYMPOS=SYMBOL...]: from now on, count the calls of
# PATCH's replacement functions: a kprobe event on PATCH:SYMBOL each (SYMBOL -: none to probe).
# Without arguments: every OBJECT/FUNCTION,SYMPOS of PATCH in sysfs, with SYMBOL=FUNCTION.
# klp_count_stop PATCH: print the counts, keep them for the host, remove the kprobe events.
TSBP_TRACING=\${TSBP_TRACING:-/sys/kernel/tracing}
TSBP_KLP=\${TSBP_KLP:-/sys/kernel/livepatch}
TSBP_CALLS=\${TSBP_CALLS:-${CALLS_FILE}}
_tsbp_w=0
_tsbp_e=0
klp_count_start() {
  _m=$1; shift
  _tsbp_w=$((_tsbp_w + 1))
  if [ $# -eq 0 ]; then
    for _d in "$TSBP_KLP/$_m"/*/*,*; do
      [ -d "$_d" ] || continue
      _f=\${_d##*/}; _o=\${_d%/*}
      set -- "$@" "\${_o##*/}/$_f=\${_f%,*}"
    done
  fi
  for _a in "$@"; do
    _k=\${_a%%=*}; _s=\${_a#*=}; _o=\${_k%%/*}; _f=\${_k#*/}; _p=\${_f##*,}; _f=\${_f%,*}; _e=-; _why=
    if [ ! -e "$TSBP_TRACING/kprobe_events" ]; then
      _why="no kprobe events in this kernel (CONFIG_KPROBE_EVENTS; tracefs at $TSBP_TRACING)"
    elif [ "$_s" = - ]; then
      _why="$_m has no symbol of its own for the replacement"
    elif [ "$(cat "$TSBP_KLP/$_m/$_o/patched" 2>/dev/null || echo 1)" != 1 ]; then
      _why="$_o is not loaded, so the function is not patched"
    else
      _tsbp_e=$((_tsbp_e + 1)); _e=tsbp_calls_$_tsbp_e
      if ! echo "p:tsbp/$_e $_m:$_s" 2>/dev/null >> "$TSBP_TRACING/kprobe_events"; then
        _why="the kernel refused a kprobe on $_m:$_s"; _e=-
      elif ! echo 1 2>/dev/null > "$TSBP_TRACING/events/tsbp/$_e/enable"; then
        echo "-:tsbp/$_e" 2>/dev/null >> "$TSBP_TRACING/kprobe_events"
        _why="the kprobe on $_m:$_s cannot be enabled"; _e=-
      fi
    fi
    echo "$_tsbp_w $_m $_o $_f $_p $_s $_e $_why" >> "$TSBP_CALLS.probes"
  done
  return 0
}
klp_count_stop() {
  [ -f "$TSBP_CALLS.probes" ] || return 0
  : > "$TSBP_CALLS.rest"
  while read -r _w _m _o _f _p _s _e _why; do
    if [ "$_m" != "$1" ]; then echo "$_w $_m $_o $_f $_p $_s $_e $_why" >> "$TSBP_CALLS.rest"; continue; fi
    _c=-
    if [ "$_e" != - ]; then
      _c=$(awk -v e="$_e" '$1 == e { print $2 }' "$TSBP_TRACING/kprobe_profile" 2>/dev/null)
      echo 0 2>/dev/null > "$TSBP_TRACING/events/tsbp/$_e/enable"
      echo "-:tsbp/$_e" 2>/dev/null >> "$TSBP_TRACING/kprobe_events"
      case $_c in ''|*[!0-9]*) _c=-; _why="no count of $_m:$_s in kprobe_profile" ;; esac
    fi
    echo "$_w $_m $_o $_f $_p $_s $_c $_why" >> "$TSBP_CALLS"
    if [ "$_c" = - ]; then echo "calls: $_m $_o/$_f,$_p: not measured ($_why)"; else echo "calls: $_m $_o/$_f,$_p: $_c"; fi
  done < "$TSBP_CALLS.probes"
  mv "$TSBP_CALLS.rest" "$TSBP_CALLS.probes"
  return 0
}
`;

/**
 * The guest command that starts counting MODULE's calls: each patched function of OBJECTS (read
 * from the module on the host) as OBJECT/FUNCTION,SYMPOS=SYMBOL, with the position sysfs gives
 * it (old_sympos, 1 for 0); none known: the guest takes the functions from sysfs.
 */
export function countStartCommand(module: string, objects: readonly PatchedObject[] = []): string {
  const pairs = objects.flatMap(({ object, functions }) =>
    functions.map((f) => `'${object}/${f.name},${f.sympos || 1}=${f.replacement ?? '-'}'`),
  );
  return ['klp_count_start', module, ...pairs].join(' ');
}

/** The guest command that stops counting MODULE's calls and records them. */
export const countStopCommand = (module: string): string => `klp_count_stop ${module}`;

/** The records of the CALLS payload, one ModuleExercise per counting window and livepatch. */
export function parseCallCounts(text: string): ModuleExercise[] {
  const windows = new Map<string, { module: string; functions: FunctionCalls[] }>();
  for (const line of text.split('\n')) {
    const [window, module, object, name, sympos, symbol, count, ...why] = line.trim().split(/\s+/);
    if (count === undefined || !/^\d+$/.test(sympos!) || !/^(\d+|-)$/.test(count)) continue;
    const key = `${window} ${module}`;
    if (!windows.has(key)) windows.set(key, { module: module!, functions: [] });
    const calls = count === '-' ? null : Number(count);
    windows.get(key)!.functions.push({
      object: object!,
      function: name!,
      sympos: Number(sympos),
      symbol: symbol!,
      calls,
      ...(calls === null ? { reason: why.join(' ') || 'not counted' } : {}),
    });
  }
  return [...windows.values()].map(({ module, functions }) => ({
    module,
    verdict: exerciseVerdict(functions),
    functions,
  }));
}
