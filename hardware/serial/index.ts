export { SerialTransport, type SerialTransportOptions } from './transport';
export { checkSerialPath, listSerialPorts, SerialPathError, type ListSerialPortsOptions, type SerialPortEntry, type SerialPortListing } from './ports';
