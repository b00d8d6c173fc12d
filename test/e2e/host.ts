import { createSdrApp, type SdrApp } from '../../src/app/sdr-app';
import { defaultDeviceFactory, listPortsForUi } from '../../src/app/devices';
import { startSdrServer } from '../../src/server/server';
import { ProtocolDevice } from '../../hardware/protocol-device';
import { SimulatedTransport, type FaultPlan } from '../../hardware/simulated';
import { RENDERER_DIST } from './harness';

export interface RunningHost {
  readonly url: string;
  /** The app service behind the host (benchmarks subscribe to its events in-process). */
  readonly app: SdrApp;
  close(): Promise<void>;
}

/**
 * The browser host exactly as `sdrlog web` composes it (app service + server on 127.0.0.1, ephemeral
 * port) over a temporary database, serving the built renderer.
 */
export async function startHost(dbPath: string, options: { seed?: number; simulatorSpeed?: number; faults?: FaultPlan } = {}): Promise<RunningHost> {
  const product = defaultDeviceFactory({ simulatorSpeed: options.simulatorSpeed ?? 1, defaultSeed: options.seed ?? 11 });
  const faults = options.faults;
  const app = await createSdrApp({
    dbPath,
    // With a fault plan, the simulator misbehaves on schedule (electrodes off, cable unplugged).
    createDevice: faults
      ? (req) => (req.source === 'simulator'
        ? new ProtocolDevice(new SimulatedTransport({ seed: req.seed ?? options.seed ?? 11, faults }), { reconnect: { initialDelayMs: 250, maxDelayMs: 1000 } })
        : product(req))
      : product,
    listSerialPorts: listPortsForUi,
  });
  const server = await startSdrServer({ app, port: 0, staticDir: RENDERER_DIST });
  return {
    url: `${server.url}/`,
    app,
    async close() {
      await server.close();
      await app.close();
    },
  };
}
