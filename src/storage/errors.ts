import { DomainError } from '../domain';

/**
 * A storage problem the user can act on (newer database, missing file, unknown case, stale correction).
 * Extends DomainError so every host reports it as one clear line with its code.
 */
export class StorageError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'StorageError';
  }
}
