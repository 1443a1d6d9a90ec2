/**
 * The commands a Job's container runs (`gaim-operator <command>`): main dispatches them, and the local
 * stack's kubelet preloads a container's one module by this name (src/commands/<command>.ts).
 */
export const JOB_COMMANDS = ['seed-storage', 'prepare-share', 'maintain-storage'] as const;
export type JobCommand = (typeof JOB_COMMANDS)[number];

export const isJobCommand = (command: string | undefined): command is JobCommand => JOB_COMMANDS.some((c) => c === command);
