export * from './random';
export * from './patient';
export * from './emg';
export * from './session';
