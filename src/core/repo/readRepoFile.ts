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

export async function readRepoFile(file: string, shown: string = file): Promise<Buffer> {
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw notRegular(shown);
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
