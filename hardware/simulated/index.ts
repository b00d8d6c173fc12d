export * from './random';
export * from './patient';
export * from './emg';
export * from './session';
export * from './firmware';
export * from './transport';
