import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { copyProgress, copyToStagingSync, fetchObjectSync, hashAndStoreSync, hashFileSync, hashFollowingSync, OnBytes, throwIfCancelled, useCancelFlag } from './hashFile';
import { copyFileAtomicSync, copyRangeSync } from '../repo/atomicWrite';
import { statFile } from './statIndex';
import { linkFromCacheSync } from '../cache/linkFromCache';
import type { WorkerTask, WorkerResult } from './workerProtocol';
import { checkObjectSync } from '../cache/verifyObjects';

/** A hashing thread: takes batches of file tasks, runs each synchronously, answers per task. */
function run(task: WorkerTask, onBytes: OnBytes): WorkerResult {
  try {
    switch (task.op) {
      case 'hash':
        return { ok: true, value: hashFileSync(task.path, task.hashName, onBytes) };
      case 'store':
        return { ok: true, value: hashAndStoreSync(task.path, task.objectsDir, task.stagingDir, task.reflink, onBytes) };
      case 'copy':
        return { ok: true, value: { staged: copyToStagingSync(task.path, task.stagingDir) } };
      case 'link':
        const linkType = linkFromCacheSync(task.objectPath, task.path, task.linkTypes, task.isexec, task.stagingDir, copyProgress(onBytes));
        return { ok: true, value: { linkType, stat: statFile(task.path) } };
      case 'put':
        throwIfCancelled();
        copyFileAtomicSync(task.path, task.target, copyProgress(onBytes));
        return { ok: true, value: undefined };
      case 'copyRange':
        throwIfCancelled();
        copyRangeSync(task.path, task.target, task.start, task.end, copyProgress(onBytes));
        return { ok: true, value: undefined };
      case 'fetch':
        return { ok: true, value: fetchObjectSync(task.path, task.objectsDir, task.stagingDir, task.name, task.hashName, onBytes) };
      case 'hashFollowing':
        return { ok: true, value: { md5: hashFollowingSync(task.path, task.progress), size: Number(task.progress[0]), isexec: false } };
      case 'verify':
        return { ok: true, value: task.objects.map((o) => checkObjectSync(o, onBytes)) };
      case 'sizes':
        return { ok: true, value: task.paths.map((p) => fs.statSync(p, { throwIfNoEntry: false })?.size ?? -1) };
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, error: e.message, errno: e.code };
  }
}

useCancelFlag((workerData as { cancelFlag: Int32Array }).cancelFlag);

parentPort!.on('message', (msg: { batchId: number; tasks: WorkerTask[] }) => {
  // Bytes read within the running task, for progress on big files before the batch ends.
  const onBytes: OnBytes = (partialBytes) => parentPort!.postMessage({ batchId: msg.batchId, partialBytes });
  parentPort!.postMessage({ batchId: msg.batchId, results: msg.tasks.map((t) => run(t, onBytes)) });
});
