/**
 * The preload: the renderer's only door to the app. Runs sandboxed with context isolation; exposes
 * `window.sdr` with one function per contract method and a `subscribe(topic, listener)` returning a
 * disposer. No Node API, no generic send, reaches the renderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { eventChannel, invokeChannel, METHOD_NAMES, TOPIC_NAMES } from './ipc';
import type { TopicName } from '../src/contracts';

const api: Record<string, unknown> = {};
for (const method of METHOD_NAMES) {
  api[method] = (request: unknown) => ipcRenderer.invoke(invokeChannel(method), request);
}
api.subscribe = (topic: unknown, listener: unknown): (() => void) => {
  if (typeof topic !== 'string' || !(TOPIC_NAMES as readonly string[]).includes(topic) || typeof listener !== 'function') {
    throw new Error(`subscribe: unknown topic '${String(topic)}' or listener is not a function`);
  }
  const channel = eventChannel(topic as TopicName);
  const handler = (_event: IpcRendererEvent, payload: unknown): void => (listener as (p: unknown) => void)(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
};

contextBridge.exposeInMainWorld('sdr', api);
