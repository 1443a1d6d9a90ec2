// `gaim-operator seed-storage`: the seed Job's command. Creates the LanceDB layout and empty tables.
import { writeFile } from 'node:fs/promises';
import { errorMessage, OperatorError } from '../errors.js';
import { seedLanceDB } from '../seeders/lancedb.js';
import { parseSeedStorageArgs, TERMINATION_LOG } from '../resources/seed-storage-args.js';

/** The seed Job's command: prints a JSON report; on failure the message also goes to the termination log. */
export async function seedStorage(argv: string[]): Promise<number> {
  try {
    const options = parseSeedStorageArgs(argv);
    const report = await seedLanceDB(options.root, options.environments, options.dimensions);
    console.log(JSON.stringify({ seeded: 'lancedb', ...report }));
    return 0;
  } catch (error: unknown) {
    const message = errorMessage(error);
    console.error(`gaim-operator seed-storage: ${message}`);
    await writeFile(TERMINATION_LOG, message.slice(0, 4000)).catch(() => undefined);
    return error instanceof OperatorError && error.errorType === 'storage' ? 3 : 1;
  }
}

