/** The sdrlog wire protocol (hardware/PROTOCOL.md): pure codec over Uint8Array, no I/O. */
export * from './crc';
export * from './frame';
export * from './messages';
export * from './codec';
