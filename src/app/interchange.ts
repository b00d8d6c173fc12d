// Interchange: EDF+ and CSV export of a case, de-identified training export, EDF+ import into a case.
// Host-agnostic (CLI today; the app service can call the same functions). Conventions: architecture.md,
// "Interchange conventions", and src/formats/README.md.
export { InterchangeError, createDeidentifier, type Deidentifier } from './interchange/common';
export { exportSessionEdf, type EdfExportOptions, type EdfExportSummary } from './interchange/export-edf';
export { exportRootletCsv, rootletTableRows, type RootletTableOptions } from './interchange/rootlet-table';
export {
  exportTraining, type TrainingExportOptions, type TrainingExportSummary, type TrainingManifest, type TrainingSessionEntry,
} from './interchange/training';
export { importEdf, type EdfImportOptions, type EdfImportSummary } from './interchange/import-edf';
