import { project, type ReadModel, type RegistryEvent } from '@ifreg/domain';
import { storedEventProblem } from '@ifreg/contracts';
import type { FoldableEvent } from '@ifreg/ports';
import { changeOf, type Change, type ChangeLog } from './changes';
import type { LuidHistory } from './luid-history';

/**
 * Folds one stored event into a model and its LUID index; the event, or undefined when the model
 * has it already or it is unreadable (the model then steps past it). The live model, a rebuild's
 * and the snapshot thread's fold alike.
 */
export function foldStored(model: ReadModel, history: LuidHistory, recorded: FoldableEvent, onUnreadable: (problem: string) => void): RegistryEvent | undefined {
  const event = readableEvent(model, recorded, onUnreadable);
  if (event !== undefined) foldEvent(model, history, event, recorded.position);
  return event;
}

/** The stored event, when it is new to the model and readable; an unreadable one is stepped over. */
export function readableEvent(model: ReadModel, recorded: FoldableEvent, onUnreadable: (problem: string) => void): RegistryEvent | undefined {
  if (recorded.position <= model.position) return undefined;
  const problem = storedEventProblem(recorded.data);
  if (problem === undefined) return recorded.data as RegistryEvent;
  onUnreadable(problem);
  model.position = recorded.position;
  return undefined;
}

/** Folds a readable event into the model and its LUID index. */
export function foldEvent(model: ReadModel, history: LuidHistory, event: RegistryEvent, position: number): void {
  project(model, { event, position });
  history.add(event, position);
}

/** The change a folded event made, added to the log (watch clients resume from it). */
export function logChange(model: ReadModel, changes: ChangeLog, event: RegistryEvent, position: number): Change | undefined {
  const change = changeOf(event, position, model.scopes.get(event.scope));
  if (change) changes.add(change);
  return change;
}
