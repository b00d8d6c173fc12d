export { BlockAccumulator, CounterSet, type StreamEvent, type StreamingDecoder } from './decoder';
export { CYTON_HEADER, CYTON_PACKET_BYTES, CytonDecoder, cytonUvPerCount, type CytonOptions } from './cyton';
export { SPIKERBOX_ESCAPE_END, SPIKERBOX_ESCAPE_START, SpikerBoxDecoder, type SpikerBoxOptions } from './spikerbox';
