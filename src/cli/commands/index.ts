import type { CommandModule } from 'yargs';

// Each command lives in its own file; register it here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];
