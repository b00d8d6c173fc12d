import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Store, UiState } from './store';

export const StoreContext = createContext<Store | null>(null);

export function useStore(): Store {
  const s = useContext(StoreContext);
  if (!s) throw new Error('StoreContext missing');
  return s;
}

/** The whole UI state; it is immutable and changes rarely (the live trace never goes through it). */
export function useUi(): UiState {
  const s = useStore();
  return useSyncExternalStore(s.subscribe, s.getState);
}
