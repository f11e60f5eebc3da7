/** Where `exp run` is: preparing, running stages, recording the experiment. */
export type ExpRunPhase = 'preparing' | 'running' | 'committing';

/**
 * Where a run is, as `cairn exp run` tells the process that started it when that one gave it an
 * IPC channel (the extension's Run, for its progress): data, never its human text.
 */
export type ExpRunEvent = { type: 'phase'; phase: ExpRunPhase; name: string } | { type: 'stage'; stage: string };

/** An IPC message is an `ExpRunEvent` (checked before use, as any message). */
export function isExpRunEvent(value: unknown): value is ExpRunEvent {
  const event = value as Partial<Record<string, unknown>> | null;
  if (typeof event !== 'object' || event === null) return false;
  if (event.type === 'phase') return ['preparing', 'running', 'committing'].includes(event.phase as string) && typeof event.name === 'string';
  return event.type === 'stage' && typeof event.stage === 'string';
}
