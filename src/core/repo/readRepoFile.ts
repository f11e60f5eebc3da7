import * as fs from 'node:fs';
import { CairnError } from '../errors';

/**
 * Read a file a repository names (`.dvc`, dvc.yaml, params, config, .dvcignore…) only when it is
 * a regular file. An archive or a shared folder can hold a FIFO under such a name (reading it
 * waits forever) or a link to `/dev/zero` (reading it never ends). The file is opened without
 * blocking and checked on the open descriptor, so it cannot be swapped in between.
 */
export function readRepoFileSync(file: string, shown: string = file): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) throw notRegular(shown);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** As readRepoFileSync; with `maxBytes`, a bigger file is a LIMIT_EXCEEDED error and is not read. */
export async function readRepoFile(file: string, shown: string = file, maxBytes = Infinity): Promise<Buffer> {
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular(shown);
    if (stat.size > maxBytes) {
      throw new CairnError('LIMIT_EXCEEDED', `the file is ${(stat.size / 2 ** 20).toFixed(1)} MiB, past the limit of ${(maxBytes / 2 ** 20).toFixed(0)} MiB for it; not read`, {
        file: shown,
        hint: 'Remove it: nothing Cairn reads there is that big.',
      });
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function notRegular(shown: string): CairnError {
  return new CairnError('BAD_FILE', `'${shown}' is not a regular file (a FIFO, a device or a socket); not read.`, {
    file: shown,
    hint: 'Replace it by a regular file, or remove it.',
  });
}
