export * from './stim-annotation';
export * from './montage-file';
export * from './edf/header';
export * from './edf/tal';
export * from './edf/io';
export * from './edf/reader';
export * from './edf/writer';
export * from './csv';
