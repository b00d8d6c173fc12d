export * from './values';
export * from './api';
export * from './events';
export * from './envelope';
export * from './sdr-api';
export * from './ws-client';
export * from './playback';
