import { ProtocolDevice } from '../../hardware/protocol-device';
import { SimulatedTransport } from '../../hardware/simulated';
import { SerialTransport, checkSerialPath, listSerialPorts } from '../../hardware/serial';
import type { ConnectDeviceRequest } from '../contracts';
import type { EmgDevice } from '../../hardware/device';
import type { DeviceFactory, SerialPortDescription } from './sdr-app';

export interface DefaultDeviceOptions {
  /** Simulated device time per wall second (1 = real time; tests run faster). */
  readonly simulatorSpeed?: number;
  /** Seed of the simulated patient when the request gives none. */
  readonly defaultSeed?: number;
  /** Baud rate when the request gives none. */
  readonly defaultBaudRate?: number;
}

/** Reconnect after a lost link: the monitoring must come back by itself when a cable is re-seated. */
const RECONNECT = { initialDelayMs: 250, maxDelayMs: 5000 } as const;

/**
 * The product's devices: the simulated amplifier/stimulator (wire protocol over an in-process
 * transport) or our device on a serial port. Both are ProtocolDevice, so the app sees one interface.
 */
export function defaultDeviceFactory(options: DefaultDeviceOptions = {}): DeviceFactory {
  return async (req: ConnectDeviceRequest): Promise<EmgDevice> => {
    if (req.source === 'simulator') {
      const transport = new SimulatedTransport({
        seed: req.seed ?? options.defaultSeed ?? 1,
        realtime: { speed: options.simulatorSpeed ?? 1 },
      });
      return new ProtocolDevice(transport, { reconnect: RECONNECT });
    }
    const portPath = await checkSerialPath(req.path);
    return new ProtocolDevice(new SerialTransport({ path: portPath, baudRate: req.baudRate ?? options.defaultBaudRate ?? 921_600 }), { reconnect: RECONNECT });
  };
}

/** Serial ports for the device screen; an enumeration problem becomes an error the UI shows next to a typed-path field. */
export async function listPortsForUi(): Promise<readonly SerialPortDescription[]> {
  const listing = await listSerialPorts();
  if (listing.ports.length === 0 && listing.problems.length > 0) throw new Error(listing.problems.join('; '));
  return listing.ports;
}
