/**
 * Compiler flags of the tool's own builds: one section per function and per data object, so
 * that the differ can compare and pick functions one by one. A kernel built this way does not
 * boot on 6.1 x86; these builds are only ever diffed, never run.
 */
export const DIFF_BUILD_KCFLAGS = '-ffunction-sections -fdata-sections';
