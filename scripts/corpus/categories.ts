// Refusal categories of the tool's refusals (exit 2).
// The table is the tool's own (src/diff/refusal-categories.ts); --json reports it per reason.
export { refusalCategory } from '../../src/diff/refusal-categories.js';
